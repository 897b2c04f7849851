//! Configuration of the network as a whole and of TCP sockets.

use super::ids::{Time, MILLIS, SECS};
use super::link::LinkConfig;

/// TCP keepalive: after `idle` without any segment from the peer, send a probe every
/// `interval`; after `count` unanswered probes the connection fails with `TimedOut`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Silence before the first probe.
    pub idle: Time,
    /// Time between probes.
    pub interval: Time,
    /// Unanswered probes before giving up.
    pub count: u32,
}

/// The congestion control a TCP sender runs (`TcpConfig::congestion`).
///
/// A network normally shares one [`TcpConfig`], so both ends of a connection
/// run the same algorithm; the setting of each end decides how that end sends
/// and how it treats out-of-order segments it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Congestion {
    /// No congestion control (the default): a sender fills the receiver's
    /// window, the receiver discards out-of-order segments, and a loss costs
    /// a retransmission timeout after which the sender goes back to the
    /// first unacknowledged byte.
    #[default]
    None,
    /// NewReno (RFC 5681 and RFC 6582) with Linux's initial window of 10
    /// segments (RFC 6928): slow start, congestion avoidance, fast
    /// retransmit on three duplicate ACKs and fast recovery with partial
    /// acknowledgements; a retransmission timeout collapses the window to
    /// one segment. The receiving end keeps out-of-order segments (within
    /// its window) and answers each at once with a duplicate ACK, and
    /// acknowledges every in-order segment. See the book's chapter on the
    /// network for the exact semantics.
    NewReno,
}

/// Per-socket TCP settings. Listeners pass theirs on to accepted connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConfig {
    /// Maximum segment size (payload bytes per segment).
    pub mss: usize,
    /// Send buffer in bytes (written and not yet acknowledged). 0 = no kernel
    /// buffering: a write is accepted only into the peer's open receive window.
    pub send_buffer: usize,
    /// Receive buffer in bytes (the advertised window). 0 = the window opens only
    /// while a read is waiting, for the bytes that read asked for; with a send
    /// buffer of 0 too, a write completes only as the peer reads (rendezvous).
    pub recv_buffer: usize,
    /// Retransmission timeout before any RTT sample (RFC 6298: 1 s). Also the first
    /// SYN retry interval, doubling after each retry as on Linux.
    pub rto_initial: Time,
    /// Lower bound of the RTO (Linux: 200 ms).
    pub rto_min: Time,
    /// Upper bound of the RTO after backoff (Linux: 120 s).
    pub rto_max: Time,
    /// Give up connecting after this long (Linux with 6 SYN retries: 127 s).
    pub connect_timeout: Time,
    /// Retransmissions of the same data before `TimedOut` (Linux `tcp_retries2`).
    pub max_retries: u32,
    /// `TCP_USER_TIMEOUT`: fail with `TimedOut` when sent data stays unacknowledged
    /// this long. `None` = only `max_retries` applies.
    pub user_timeout: Option<Time>,
    /// Keepalive probing, off by default as on Linux.
    pub keepalive: Option<Keepalive>,
    /// How long a cleanly closed connection lingers to acknowledge a late FIN.
    pub time_wait: Time,
    /// `SO_REUSEADDR`: the socket may bind a port still held by connections in
    /// TIME_WAIT. Without it such a bind fails with `AddrInUse`, as on Linux.
    pub reuse_addr: bool,
    /// Congestion control: [`Congestion::None`] by default (a sender fills
    /// the receiver's window), [`Congestion::NewReno`] for slow start, fast
    /// retransmit and fast recovery.
    pub congestion: Congestion,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            send_buffer: 64 * 1024,
            recv_buffer: 64 * 1024,
            rto_initial: SECS,
            rto_min: 200 * MILLIS,
            rto_max: 120 * SECS,
            connect_timeout: 127 * SECS,
            max_retries: 15,
            user_timeout: None,
            keepalive: None,
            time_wait: 60 * SECS,
            reuse_addr: false,
            congestion: Congestion::None,
        }
    }
}

/// Settings of the whole network.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfig {
    /// IP MTU in bytes (headers included): UDP payloads are limited to
    /// `mtu - 28` (IPv4) or `mtu - 48` (IPv6).
    pub mtu: usize,
    /// Prefix length of every IPv4 address (for subnet broadcast).
    pub ipv4_prefix_len: u8,
    /// First port of the ephemeral range.
    pub ephemeral_first: u16,
    /// Last port of the ephemeral range.
    pub ephemeral_last: u16,
    /// Default UDP receive buffer in bytes of payload.
    pub udp_recv_buffer: usize,
    /// Default TCP settings for new sockets.
    pub tcp: TcpConfig,
    /// Link settings for every ordered pair of nodes without its own.
    pub default_link: LinkConfig,
    /// Delay of a packet a node sends to itself (loopback or one of its addresses).
    pub loopback_latency: Time,
    /// Linux's sysctl `net.ipv6.bindv6only`, for every socket of the
    /// network. `false` (the default, as on Linux) is dual stack: a TCP or
    /// UDP socket bound to `[::]:p` also serves the host's IPv4 addresses on
    /// port `p` (peers reached that way show IPv4-mapped addresses such as
    /// `[::ffff:10.0.0.2]`), an IPv6 socket may connect or send to a mapped
    /// address, and `[::]:p` conflicts with every IPv4 binding of `p`
    /// (`AddrInUse`). `true` makes `[::]` sockets IPv6 only: no IPv4 through
    /// them, no conflict with IPv4 ports, and IPv4-mapped addresses are
    /// refused. This is the default of each socket's `IPV6_V6ONLY`, which a
    /// socket may change before it is bound (socket2's `set_only_v6`; see
    /// [`Network::with_bind_options`](super::Network::with_bind_options)).
    pub bindv6only: bool,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            mtu: 1500,
            ipv4_prefix_len: 24,
            ephemeral_first: 49152,
            ephemeral_last: 65535,
            udp_recv_buffer: 212_992,
            tcp: TcpConfig::default(),
            default_link: LinkConfig::default(),
            loopback_latency: 0,
            bindv6only: false,
        }
    }
}
