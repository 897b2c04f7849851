//! `setsockopt` and `getsockopt`: the options tokio, mio, socket2, std and
//! the crates built on them set or read, with Linux's value formats and
//! `errno` values. An option Linux has and the model lacks fails with
//! `ENOPROTOOPT` and ends the run with an error naming it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sim_clock::vfd::Errno;

use super::socket::{model, unmodelled, FdSocket, Phase};
use crate::model::{Keepalive, TcpConfig, MILLIS, SECS};

/// Linux's default `IP_TTL` and `IPV6_UNICAST_HOPS`.
const DEFAULT_TTL: u32 = 64;

/// A socket's options, kept from `socket(2)` on: TCP reads them when it
/// connects or listens, UDP when it binds; an open connection or a bound
/// UDP socket also gets each change at once.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) reuse_addr: bool,
    pub(crate) keepalive: bool,
    /// `TCP_KEEPIDLE`, `TCP_KEEPINTVL` (seconds) and `TCP_KEEPCNT`, with
    /// Linux's defaults (2 hours, 75 s, 9).
    pub(crate) keep_idle: u32,
    pub(crate) keep_interval: u32,
    pub(crate) keep_count: u32,
    pub(crate) nodelay: bool,
    pub(crate) quickack: bool,
    /// `SO_SNDBUF`/`SO_RCVBUF` as set (bytes of payload the model keeps).
    pub(crate) send_buffer: Option<usize>,
    pub(crate) recv_buffer: Option<usize>,
    /// `TCP_USER_TIMEOUT` in milliseconds (0: off).
    pub(crate) user_timeout_ms: u32,
    /// `SO_LINGER` when on: the linger time in seconds.
    pub(crate) linger: Option<u32>,
    pub(crate) ttl: u32,
    pub(crate) tos: u32,
    pub(crate) v6only: bool,
    /// `SO_REUSEPORT`, for the next bind.
    pub(crate) reuse_port: bool,
    pub(crate) broadcast: bool,
    pub(crate) multicast_loop: bool,
    pub(crate) multicast_ttl: u32,
    /// Multicast groups joined before the UDP socket was bound.
    pub(crate) groups: Vec<IpAddr>,
    /// `SO_RCVTIMEO` and `SO_SNDTIMEO` as given (a `timeval`); only a
    /// blocking call would read them, and those are refused.
    pub(crate) rcvtimeo: [u8; 16],
    pub(crate) sndtimeo: [u8; 16],
}

impl Options {
    pub(crate) fn new(v6only: bool) -> Options {
        Options {
            reuse_addr: false,
            keepalive: false,
            keep_idle: 7200,
            keep_interval: 75,
            keep_count: 9,
            nodelay: false,
            quickack: true,
            send_buffer: None,
            recv_buffer: None,
            user_timeout_ms: 0,
            linger: None,
            ttl: DEFAULT_TTL,
            tos: 0,
            v6only,
            reuse_port: false,
            broadcast: false,
            multicast_loop: true,
            multicast_ttl: 1,
            groups: Vec::new(),
            rcvtimeo: [0; 16],
            sndtimeo: [0; 16],
        }
    }

    /// What an accepted connection inherits from its listener (Linux
    /// clones the listening socket).
    pub(crate) fn accepted(&self) -> Options {
        let mut o = self.clone();
        o.groups.clear();
        o
    }

    fn keepalive_timing(&self) -> Keepalive {
        Keepalive {
            idle: u64::from(self.keep_idle) * SECS,
            interval: u64::from(self.keep_interval) * SECS,
            count: self.keep_count,
        }
    }
}

fn int_of(value: &[u8]) -> Result<i32, Errno> {
    let bytes: [u8; 4] = value
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(libc::EINVAL)?;
    Ok(i32::from_ne_bytes(bytes))
}

/// Multicast options take an int or a single byte, as Linux accepts.
fn small_int_of(value: &[u8]) -> Result<i32, Errno> {
    match value.len() {
        0 => Err(libc::EINVAL),
        1..=3 => Ok(i32::from(value[0])),
        _ => int_of(value),
    }
}

fn put(out: &mut [u8], bytes: &[u8]) -> usize {
    let n = out.len().min(bytes.len());
    out[..n].copy_from_slice(&bytes[..n]);
    bytes.len()
}

fn put_int(out: &mut [u8], v: i32) -> usize {
    put(out, &v.to_ne_bytes())
}

fn name_of(level: libc::c_int, name: libc::c_int) -> String {
    if let Some(known) = known_name(level, name) {
        return known.to_string();
    }
    let level = match level {
        libc::SOL_SOCKET => "SOL_SOCKET",
        libc::IPPROTO_TCP => "IPPROTO_TCP",
        libc::IPPROTO_IP => "IPPROTO_IP",
        libc::IPPROTO_IPV6 => "IPPROTO_IPV6",
        _ => "level",
    };
    format!("{level} option {name}")
}

/// The names of options Linux has and the model lacks, for the run error.
fn known_name(level: libc::c_int, name: libc::c_int) -> Option<&'static str> {
    let known: &[(libc::c_int, libc::c_int, &str)] = &[
        (libc::SOL_SOCKET, libc::SO_BINDTODEVICE, "SO_BINDTODEVICE"),
        (libc::SOL_SOCKET, libc::SO_PRIORITY, "SO_PRIORITY"),
        (libc::SOL_SOCKET, libc::SO_MARK, "SO_MARK"),
        (libc::SOL_SOCKET, libc::SO_TIMESTAMP, "SO_TIMESTAMP"),
        (libc::SOL_SOCKET, libc::SO_BUSY_POLL, "SO_BUSY_POLL"),
        (libc::SOL_SOCKET, libc::SO_INCOMING_CPU, "SO_INCOMING_CPU"),
        (libc::SOL_SOCKET, libc::SO_ZEROCOPY, "SO_ZEROCOPY"),
        (libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, "SO_ATTACH_FILTER"),
        (libc::SOL_SOCKET, libc::SO_PEEK_OFF, "SO_PEEK_OFF"),
        (libc::SOL_SOCKET, libc::SO_PASSCRED, "SO_PASSCRED"),
        (libc::SOL_SOCKET, libc::SO_OOBINLINE, "SO_OOBINLINE"),
        (libc::SOL_SOCKET, libc::SO_DONTROUTE, "SO_DONTROUTE"),
        (libc::SOL_SOCKET, libc::SO_RCVLOWAT, "SO_RCVLOWAT"),
        (libc::SOL_SOCKET, libc::SO_SNDLOWAT, "SO_SNDLOWAT"),
        (libc::IPPROTO_TCP, libc::TCP_CONGESTION, "TCP_CONGESTION"),
        (libc::IPPROTO_TCP, libc::TCP_INFO, "TCP_INFO"),
        (libc::IPPROTO_TCP, libc::TCP_FASTOPEN, "TCP_FASTOPEN"),
        (libc::IPPROTO_TCP, libc::TCP_CORK, "TCP_CORK"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            "TCP_DEFER_ACCEPT",
        ),
        (
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            "TCP_NOTSENT_LOWAT",
        ),
        (libc::IPPROTO_TCP, libc::TCP_ULP, "TCP_ULP"),
        (libc::IPPROTO_TCP, libc::TCP_MD5SIG, "TCP_MD5SIG"),
        (libc::IPPROTO_TCP, libc::TCP_SYNCNT, "TCP_SYNCNT"),
        (libc::IPPROTO_TCP, libc::TCP_LINGER2, "TCP_LINGER2"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_WINDOW_CLAMP,
            "TCP_WINDOW_CLAMP",
        ),
        (libc::IPPROTO_IP, libc::IP_RECVERR, "IP_RECVERR"),
        (libc::IPPROTO_IP, libc::IP_PKTINFO, "IP_PKTINFO"),
        (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, "IP_MTU_DISCOVER"),
        (libc::IPPROTO_IP, libc::IP_TRANSPARENT, "IP_TRANSPARENT"),
        (libc::IPPROTO_IP, libc::IP_FREEBIND, "IP_FREEBIND"),
        (
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            "IP_BIND_ADDRESS_NO_PORT",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR, "IPV6_RECVERR"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVPKTINFO,
            "IPV6_RECVPKTINFO",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            "IPV6_MTU_DISCOVER",
        ),
    ];
    known
        .iter()
        .find(|&&(l, n, _)| l == level && n == name)
        .map(|&(_, _, text)| text)
}

impl FdSocket {
    /// The network's TCP settings with this socket's options.
    pub(super) fn tcp_config(&self) -> TcpConfig {
        let mut cfg = self.net.model.borrow().config().tcp.clone();
        let o = self.opts.borrow();
        if let Some(size) = o.send_buffer {
            cfg.send_buffer = size;
        }
        if let Some(size) = o.recv_buffer {
            cfg.recv_buffer = size;
        }
        if o.keepalive {
            cfg.keepalive = Some(o.keepalive_timing());
        }
        if o.user_timeout_ms > 0 {
            cfg.user_timeout = Some(u64::from(o.user_timeout_ms) * MILLIS);
        }
        cfg.reuse_addr = o.reuse_addr;
        cfg
    }

    /// Applies the keepalive options to an open connection.
    fn update_keepalive(&self) -> Result<(), Errno> {
        if let Phase::Stream(id) = self.phase() {
            let o = self.opts.borrow().clone();
            let k = o.keepalive.then(|| o.keepalive_timing());
            model(self.op(|m, now| m.tcp_set_keepalive(now, id, k)))?;
        }
        Ok(())
    }

    pub(super) fn set_opt(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        value: &[u8],
    ) -> Result<(), Errno> {
        let tcp = !self.udp;
        match (level, name) {
            (libc::SOL_SOCKET, libc::SO_REUSEADDR) => {
                self.opts.borrow_mut().reuse_addr = int_of(value)? != 0;
            }
            (libc::SOL_SOCKET, libc::SO_REUSEPORT) => {
                // As on Linux, it counts at the next bind.
                self.opts.borrow_mut().reuse_port = int_of(value)? != 0;
            }
            (libc::SOL_SOCKET, libc::SO_KEEPALIVE) => {
                self.opts.borrow_mut().keepalive = int_of(value)? != 0;
                self.update_keepalive()?;
            }
            (libc::SOL_SOCKET, libc::SO_BROADCAST) => {
                let on = int_of(value)? != 0;
                self.opts.borrow_mut().broadcast = on;
                if let Phase::Udp(id) = self.phase() {
                    model(self.op(|m, _| m.udp_set_broadcast(id, on)))?;
                }
            }
            (libc::SOL_SOCKET, libc::SO_SNDBUF | libc::SO_RCVBUF) => {
                let size = usize::try_from(int_of(value)?).unwrap_or(0);
                let mut o = self.opts.borrow_mut();
                if name == libc::SO_SNDBUF {
                    o.send_buffer = Some(size);
                } else {
                    o.recv_buffer = Some(size);
                    drop(o);
                    if let Phase::Udp(id) = self.phase() {
                        model(self.op(|m, _| m.udp_set_recv_buffer(id, size)))?;
                    }
                }
            }
            (libc::SOL_SOCKET, libc::SO_LINGER) => {
                if value.len() < std::mem::size_of::<libc::linger>() {
                    return Err(libc::EINVAL);
                }
                let on = int_of(&value[..4])? != 0;
                let secs = int_of(&value[4..8])?.max(0) as u32;
                self.opts.borrow_mut().linger = on.then_some(secs);
                if let (Phase::Stream(id), Some(0)) = (self.phase(), on.then_some(secs)) {
                    model(self.op(|m, _| m.tcp_set_zero_linger(id)))?;
                }
            }
            (libc::SOL_SOCKET, libc::SO_RCVTIMEO | libc::SO_SNDTIMEO) => {
                let mut tv = [0u8; 16];
                let n = value.len().min(16);
                if n < 16 {
                    return Err(libc::EINVAL);
                }
                tv[..n].copy_from_slice(&value[..n]);
                let mut o = self.opts.borrow_mut();
                if name == libc::SO_RCVTIMEO {
                    o.rcvtimeo = tv;
                } else {
                    o.sndtimeo = tv;
                }
            }
            (libc::IPPROTO_TCP, _) if !tcp => return Err(libc::ENOPROTOOPT),
            (libc::IPPROTO_TCP, libc::TCP_NODELAY) => {
                self.opts.borrow_mut().nodelay = int_of(value)? != 0;
            }
            (libc::IPPROTO_TCP, libc::TCP_QUICKACK) => {
                self.opts.borrow_mut().quickack = int_of(value)? != 0;
            }
            (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE | libc::TCP_KEEPINTVL | libc::TCP_KEEPCNT) => {
                let v = int_of(value)?;
                // Linux's bounds: 1 to 32767 s, 1 to 127 probes.
                let max = if name == libc::TCP_KEEPCNT {
                    127
                } else {
                    32767
                };
                if !(1..=max).contains(&v) {
                    return Err(libc::EINVAL);
                }
                {
                    let mut o = self.opts.borrow_mut();
                    match name {
                        libc::TCP_KEEPIDLE => o.keep_idle = v as u32,
                        libc::TCP_KEEPINTVL => o.keep_interval = v as u32,
                        _ => o.keep_count = v as u32,
                    }
                }
                if self.opts.borrow().keepalive {
                    self.update_keepalive()?;
                }
            }
            (libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT) => {
                let ms = int_of(value)?;
                if ms < 0 {
                    return Err(libc::EINVAL);
                }
                self.opts.borrow_mut().user_timeout_ms = ms as u32;
                if let Phase::Stream(id) = self.phase() {
                    let t = (ms > 0).then(|| ms as u64 * MILLIS);
                    model(self.op(|m, now| m.tcp_set_user_timeout(now, id, t)))?;
                }
            }
            (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS) => {
                let v = int_of(value)?;
                // -1 means the default, as on Linux.
                let ttl = if v == -1 { DEFAULT_TTL as i32 } else { v };
                if !(1..=255).contains(&ttl) {
                    return Err(libc::EINVAL);
                }
                self.opts.borrow_mut().ttl = ttl as u32;
                if let Phase::Udp(id) = self.phase() {
                    model(self.op(|m, _| m.udp_set_ttl(id, ttl as u32)))?;
                }
            }
            (libc::IPPROTO_IP, libc::IP_TOS) | (libc::IPPROTO_IPV6, libc::IPV6_TCLASS) => {
                self.opts.borrow_mut().tos = int_of(value)? as u32 & 0xff;
            }
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) if self.v6 => {
                let on = int_of(value)? != 0;
                // Linux's do_ipv6_setsockopt: only before the socket is bound.
                if self.phase() != Phase::Fresh {
                    return Err(libc::EINVAL);
                }
                self.opts.borrow_mut().v6only = on;
            }
            (libc::IPPROTO_IP, _) | (libc::IPPROTO_IPV6, _) if tcp => {
                return unmodelled(
                    "setsockopt",
                    format!("{} on a TCP socket is not modelled", name_of(level, name)),
                    libc::ENOPROTOOPT,
                )
            }
            (libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP)
            | (libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP) => {
                let on = small_int_of(value)? != 0;
                self.opts.borrow_mut().multicast_loop = on;
                if let Phase::Udp(id) = self.phase() {
                    let v6 = level == libc::IPPROTO_IPV6;
                    model(self.op(|m, _| m.udp_set_multicast_loop(id, v6, on)))?;
                }
            }
            (libc::IPPROTO_IP, libc::IP_MULTICAST_TTL)
            | (libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS) => {
                let v = small_int_of(value)?;
                let ttl = if v == -1 { 1 } else { v };
                if !(0..=255).contains(&ttl) {
                    return Err(libc::EINVAL);
                }
                self.opts.borrow_mut().multicast_ttl = ttl as u32;
                if let Phase::Udp(id) = self.phase() {
                    model(self.op(|m, _| m.udp_set_multicast_ttl_v4(id, ttl as u32)))?;
                }
            }
            (libc::IPPROTO_IP, libc::IP_MULTICAST_IF)
            | (libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_IF) => {
                // Every node has one interface: any choice is that one.
            }
            (libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP | libc::IP_DROP_MEMBERSHIP) => {
                let octets: [u8; 4] = value
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(libc::EINVAL)?;
                self.membership(
                    IpAddr::V4(Ipv4Addr::from(octets)),
                    name == libc::IP_ADD_MEMBERSHIP,
                )?;
            }
            (libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP | libc::IPV6_DROP_MEMBERSHIP) => {
                let octets: [u8; 16] = value
                    .get(..16)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(libc::EINVAL)?;
                self.membership(
                    IpAddr::V6(Ipv6Addr::from(octets)),
                    name == libc::IPV6_ADD_MEMBERSHIP,
                )?;
            }
            _ => {
                return unmodelled(
                    "setsockopt",
                    format!("{} is not modelled by the simulator", name_of(level, name)),
                    libc::ENOPROTOOPT,
                )
            }
        }
        Ok(())
    }

    fn membership(&self, group: IpAddr, join: bool) -> Result<(), Errno> {
        match self.phase() {
            Phase::Udp(id) if join => model(self.op(|m, _| m.udp_join_multicast(id, group))),
            Phase::Udp(id) => model(self.op(|m, _| m.udp_leave_multicast(id, group))),
            _ if !group.is_multicast() => Err(libc::EINVAL),
            _ => {
                let mut o = self.opts.borrow_mut();
                if join {
                    o.groups.push(group);
                    Ok(())
                } else if let Some(i) = o.groups.iter().position(|g| *g == group) {
                    o.groups.remove(i);
                    Ok(())
                } else {
                    Err(libc::EADDRNOTAVAIL)
                }
            }
        }
    }

    pub(super) fn get_opt(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        out: &mut [u8],
    ) -> Result<usize, Errno> {
        let o = self.opts.borrow().clone();
        let tcp = !self.udp;
        let as_int = |b: bool| i32::from(b);
        let v = match (level, name) {
            (libc::SOL_SOCKET, libc::SO_ERROR) => self.take_error(),
            (libc::SOL_SOCKET, libc::SO_TYPE) => {
                if tcp {
                    libc::SOCK_STREAM
                } else {
                    libc::SOCK_DGRAM
                }
            }
            (libc::SOL_SOCKET, libc::SO_DOMAIN) => {
                if self.v6 {
                    libc::AF_INET6
                } else {
                    libc::AF_INET
                }
            }
            (libc::SOL_SOCKET, libc::SO_PROTOCOL) => {
                if tcp {
                    libc::IPPROTO_TCP
                } else {
                    libc::IPPROTO_UDP
                }
            }
            (libc::SOL_SOCKET, libc::SO_ACCEPTCONN) => {
                as_int(matches!(self.phase(), Phase::Listening(_)))
            }
            (libc::SOL_SOCKET, libc::SO_REUSEADDR) => as_int(o.reuse_addr),
            (libc::SOL_SOCKET, libc::SO_REUSEPORT) => as_int(o.reuse_port),
            (libc::SOL_SOCKET, libc::SO_KEEPALIVE) => as_int(o.keepalive),
            (libc::SOL_SOCKET, libc::SO_BROADCAST) => as_int(o.broadcast),
            (libc::SOL_SOCKET, libc::SO_SNDBUF | libc::SO_RCVBUF) => {
                let cfg = self.net.model.borrow().config().clone();
                let (set, default) = if name == libc::SO_SNDBUF {
                    (o.send_buffer, cfg.tcp.send_buffer)
                } else {
                    (
                        o.recv_buffer,
                        if tcp {
                            cfg.tcp.recv_buffer
                        } else {
                            cfg.udp_recv_buffer
                        },
                    )
                };
                // Linux reports twice the size set (half is its bookkeeping).
                let v = set.map_or(default, |s| s.saturating_mul(2));
                i32::try_from(v).unwrap_or(i32::MAX)
            }
            (libc::SOL_SOCKET, libc::SO_LINGER) => {
                let mut bytes = [0u8; 8];
                bytes[..4].copy_from_slice(&as_int(o.linger.is_some()).to_ne_bytes());
                bytes[4..].copy_from_slice(&(o.linger.unwrap_or(0) as i32).to_ne_bytes());
                return Ok(put(out, &bytes));
            }
            (libc::SOL_SOCKET, libc::SO_RCVTIMEO) => return Ok(put(out, &o.rcvtimeo)),
            (libc::SOL_SOCKET, libc::SO_SNDTIMEO) => return Ok(put(out, &o.sndtimeo)),
            (libc::IPPROTO_TCP, _) if !tcp => return Err(libc::EOPNOTSUPP),
            (libc::IPPROTO_TCP, libc::TCP_NODELAY) => as_int(o.nodelay),
            (libc::IPPROTO_TCP, libc::TCP_QUICKACK) => as_int(o.quickack),
            (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE) => o.keep_idle as i32,
            (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL) => o.keep_interval as i32,
            (libc::IPPROTO_TCP, libc::TCP_KEEPCNT) => o.keep_count as i32,
            (libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT) => o.user_timeout_ms as i32,
            (libc::IPPROTO_TCP, libc::TCP_MAXSEG) => {
                self.net.model.borrow().config().tcp.mss as i32
            }
            (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS) => {
                o.ttl as i32
            }
            (libc::IPPROTO_IP, libc::IP_TOS) | (libc::IPPROTO_IPV6, libc::IPV6_TCLASS) => {
                o.tos as i32
            }
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) if self.v6 => as_int(o.v6only),
            (libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP)
            | (libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP) => as_int(o.multicast_loop),
            (libc::IPPROTO_IP, libc::IP_MULTICAST_TTL)
            | (libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS) => o.multicast_ttl as i32,
            _ => {
                return unmodelled(
                    "getsockopt",
                    format!("{} is not modelled by the simulator", name_of(level, name)),
                    libc::ENOPROTOOPT,
                )
            }
        };
        Ok(put_int(out, v))
    }

    /// `SO_ERROR`: the pending error, cleared by reading it.
    fn take_error(&self) -> i32 {
        match self.phase() {
            Phase::Stream(id) => {
                self.connect_pending.set(false);
                if self.error_reported.get() {
                    return 0;
                }
                let err = self.net.model.borrow().tcp_error(id).ok().flatten();
                match err {
                    Some(e) => {
                        self.error_reported.set(true);
                        super::errno::errno_of(&e)
                    }
                    None => 0,
                }
            }
            Phase::Udp(id) => match self.op(|m, _| m.udp_take_error(id)) {
                Ok(Some(e)) => super::errno::errno_of(&e),
                _ => 0,
            },
            _ => 0,
        }
    }
}
