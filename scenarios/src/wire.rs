//! What a TCP transfer costs on a simulated wire: segments, header bytes,
//! serialization time. The `bulk` scenario predicts its duration with these,
//! and the benchmarks report simulated throughput with them.
//!
//! The numbers are sim-net's model (IPv4): each segment carries at most
//! [`MSS`] payload bytes and [`HEADER`] bytes of IP and TCP headers, and a
//! link serializes a packet in `ceil(bits * 1e9 / bandwidth)` nanoseconds.
//!
//! ```
//! use scenarios::wire;
//!
//! assert_eq!(wire::segments(1460 * 2 + 1), 3);
//! assert_eq!(wire::wire_bytes(1460 * 2 + 1), 1460 * 2 + 1 + 3 * 40);
//! // 1500 wire bytes at 10 Mbit/s: 1.2 ms.
//! assert_eq!(wire::tx_ns(1500, 10_000_000), 1_200_000);
//! ```

/// Payload bytes per TCP segment (sim-net's default `TcpConfig::mss`).
pub const MSS: u64 = 1460;

/// IPv4 header (20) plus TCP header (20), per segment.
pub const HEADER: u64 = 40;

/// Segments needed to carry `payload` bytes.
pub fn segments(payload: u64) -> u64 {
    payload.div_ceil(MSS)
}

/// Bytes on the wire for `payload` bytes of TCP data, headers included.
pub fn wire_bytes(payload: u64) -> u64 {
    payload + segments(payload) * HEADER
}

/// Serialization time, in nanoseconds, of one packet of `bytes` wire bytes
/// at `bps` bits per second, rounded up as the link model rounds it.
pub fn tx_ns(bytes: u64, bps: u64) -> u64 {
    (u128::from(bytes) * 8 * 1_000_000_000).div_ceil(u128::from(bps)) as u64
}

/// Serialization time, in nanoseconds, of `payload` bytes of TCP data sent
/// back to back in full segments, each rounded up on its own.
pub fn stream_tx_ns(payload: u64, bps: u64) -> u64 {
    let full = payload / MSS;
    let rest = payload % MSS;
    let mut ns = full * tx_ns(MSS + HEADER, bps);
    if rest > 0 {
        ns += tx_ns(rest + HEADER, bps);
    }
    ns
}
