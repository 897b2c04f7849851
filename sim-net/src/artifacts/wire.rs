//! Packets as they would be on a real wire: IPv4 or IPv6 headers, TCP, UDP
//! or ICMP headers with valid checksums, built with `etherparse`.
//!
//! The model's TCP keeps 64-bit sequence numbers that never wrap (the
//! initial one is below 2^32); on the wire they are taken modulo 2^32, as
//! a real stack's are. Its windows are byte counts: a SYN carries the
//! window-scale option (the smallest shift that fits the window in 16
//! bits) and an MSS option, and later segments carry the window shifted by
//! the scale their sender announced, so Wireshark and `tcpdump` compute the
//! same windows. Segments with data carry PSH. IPv4 packets have TTL 64,
//! DF set, and an identification counted per source address.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use etherparse::{icmpv4, icmpv6, Icmpv4Type, Icmpv6Type, PacketBuilder, TcpOptionElement};

use crate::model::packet::{Body, Packet, Segment};

/// The largest shift the window-scale option allows (RFC 7323).
const MAX_WSCALE: u8 = 14;

/// Turns a run's packets into wire bytes, in send order: the state it keeps
/// (window scales, IPv4 identifications) is what a real capture would show.
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    mss: u16,
    wscale: BTreeMap<(SocketAddr, SocketAddr), u8>,
    ip_ids: BTreeMap<IpAddr, u16>,
}

/// The two ends of a packet in one family: IPv4 when both are (or map to)
/// IPv4, IPv6 otherwise.
fn wire_addrs(src: SocketAddr, dst: SocketAddr) -> (IpAddr, IpAddr) {
    let (s, d) = (src.ip().to_canonical(), dst.ip().to_canonical());
    match (s, d) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => (s, d),
        _ => (IpAddr::V6(v6(s)), IpAddr::V6(v6(d))),
    }
}

fn v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// The protocol of a packet, as the journal and the timeline name it.
pub(crate) fn proto(p: &Packet) -> &'static str {
    match p.body {
        Body::Tcp(_) => "tcp",
        Body::Udp(_) => "udp",
        Body::PortUnreachable { .. } => "icmp",
    }
}

/// TCP flags in tcpdump's notation: `S`, `F`, `R`, `P`, `.` for ACK.
pub(crate) fn tcp_flags(seg: &Segment) -> String {
    let mut f = String::new();
    if seg.syn {
        f.push('S');
    }
    if seg.fin {
        f.push('F');
    }
    if seg.rst {
        f.push('R');
    }
    if !seg.data.is_empty() {
        f.push('P');
    }
    if seg.has_ack {
        f.push('.');
    }
    f
}

/// One line about a packet, in the style of `tcpdump`.
pub(crate) fn summary(p: &Packet) -> String {
    match &p.body {
        Body::Tcp(seg) => {
            let mut s = format!(
                "{} > {}: TCP [{}] seq {}",
                p.src,
                p.dst,
                tcp_flags(seg),
                seg.seq as u32
            );
            if seg.has_ack {
                s.push_str(&format!(" ack {}", seg.ack as u32));
            }
            s.push_str(&format!(" win {} len {}", seg.window, seg.data.len()));
            s
        }
        Body::Udp(d) => format!("{} > {}: UDP len {}", p.src, p.dst, d.len()),
        Body::PortUnreachable { original_dst } => format!(
            "{} > {}: ICMP {} udp port {} unreachable",
            p.src.ip(),
            p.dst.ip(),
            original_dst.ip(),
            original_dst.port()
        ),
    }
}

impl Encoder {
    /// An encoder for a network whose TCP announces `mss`.
    pub(crate) fn new(mss: usize) -> Encoder {
        Encoder {
            mss: u16::try_from(mss).unwrap_or(u16::MAX),
            ..Encoder::default()
        }
    }

    /// The packet as IP bytes (LINKTYPE_RAW).
    pub(crate) fn encode(&mut self, p: &Packet) -> Vec<u8> {
        let (src, dst) = wire_addrs(p.src, p.dst);
        let ip = self.ip_builder(src, dst);
        let mut out = Vec::new();
        // Writing into a Vec fails only on a payload too large for the IP
        // length field; the model's MTU keeps packets far below it.
        let written = match &p.body {
            Body::Udp(data) => ip
                .udp(p.src.port(), p.dst.port())
                .write(&mut out, data)
                .is_ok(),
            Body::Tcp(seg) => {
                let window = self.window(p, seg);
                let mut tcp = ip.tcp(p.src.port(), p.dst.port(), seg.seq as u32, window);
                if seg.syn {
                    tcp = tcp.syn();
                }
                if seg.fin {
                    tcp = tcp.fin();
                }
                if seg.rst {
                    tcp = tcp.rst();
                }
                if !seg.data.is_empty() {
                    tcp = tcp.psh();
                }
                if seg.has_ack {
                    tcp = tcp.ack(seg.ack as u32);
                }
                if seg.syn {
                    let scale = self.wscale.get(&(p.src, p.dst)).copied().unwrap_or(0);
                    let options = [
                        TcpOptionElement::MaximumSegmentSize(self.mss),
                        TcpOptionElement::Noop,
                        TcpOptionElement::WindowScale(scale),
                    ];
                    match tcp.options(&options) {
                        Ok(t) => t.write(&mut out, &seg.data).is_ok(),
                        Err(_) => false,
                    }
                } else {
                    tcp.write(&mut out, &seg.data).is_ok()
                }
            }
            Body::PortUnreachable { original_dst } => {
                // The ICMP error quotes the datagram's IP header and its
                // first 8 bytes (the UDP header).
                let (osrc, odst) = wire_addrs(p.dst, *original_dst);
                let mut quote = Vec::new();
                let quoted = self
                    .ip_builder(osrc, odst)
                    .udp(p.dst.port(), original_dst.port())
                    .write(&mut quote, &[])
                    .is_ok();
                quoted
                    && match (src, dst) {
                        (IpAddr::V4(_), _) => ip
                            .icmpv4(Icmpv4Type::DestinationUnreachable(
                                icmpv4::DestUnreachableHeader::Port,
                            ))
                            .write(&mut out, &quote)
                            .is_ok(),
                        (IpAddr::V6(_), _) => ip
                            .icmpv6(Icmpv6Type::DestinationUnreachable(
                                icmpv6::DestUnreachableCode::Port,
                            ))
                            .write(&mut out, &quote)
                            .is_ok(),
                    }
            }
        };
        if !written {
            out.clear();
        }
        out
    }

    fn ip_builder(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
    ) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let id = self.ip_ids.entry(src).or_insert(0);
                *id = id.wrapping_add(1);
                let mut header = etherparse::Ipv4Header::new(
                    0,
                    64,
                    etherparse::IpNumber::UDP,
                    s.octets(),
                    d.octets(),
                )
                .unwrap_or_default();
                header.identification = *id;
                header.dont_fragment = true;
                PacketBuilder::ip(etherparse::IpHeaders::Ipv4(header, Default::default()))
            }
            _ => PacketBuilder::ipv6(v6(src).octets(), v6(dst).octets(), 64),
        }
    }

    /// The 16-bit window field of `seg`, and the scale its SYN announces.
    fn window(&mut self, p: &Packet, seg: &Segment) -> u16 {
        let flow = (p.src, p.dst);
        if seg.syn {
            let mut scale = 0;
            while scale < MAX_WSCALE && (seg.window >> scale) > u64::from(u16::MAX) {
                scale += 1;
            }
            self.wscale.insert(flow, scale);
            // A SYN's own window is never scaled (RFC 7323).
            return u16::try_from(seg.window).unwrap_or(u16::MAX);
        }
        let scale = self.wscale.get(&flow).copied().unwrap_or(0);
        u16::try_from(seg.window >> scale).unwrap_or(u16::MAX)
    }
}
