//! Identifiers, the time unit and named random sub-streams.
//!
//! Every random draw of the model comes from a [`ChaCha20Rng`] derived from the
//! simulation seed and a *name* (for instance `link:client->server`), so adding a
//! host or a link never shifts the draws of the others: each name is its own stream.

use std::fmt;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Virtual time in nanoseconds since the start of the simulation.
pub type Time = u64;

/// One millisecond in [`Time`] units.
pub const MILLIS: Time = 1_000_000;
/// One second in [`Time`] units.
pub const SECS: Time = 1_000_000_000;

/// A host as the network sees it: one kernel with addresses and sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node#{}", self.0)
    }
}

/// A socket of any kind (UDP, TCP listener, TCP stream); never reused within a
/// [`Network`](super::Network), so a stale handle cannot reach a newer socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socket#{}", self.0)
    }
}

/// 64-bit FNV-1a hash: turns a stream name into a ChaCha stream number.
/// Stable across platforms and Rust versions, unlike `std`'s hashers.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The random sub-stream called `name` of the simulation seeded with `seed`.
pub fn stream_rng(seed: u64, name: &str) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(fnv1a_64(name.as_bytes()));
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn fnv_known_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a1: u64 = stream_rng(7, "link:a->b").random();
        let a2: u64 = stream_rng(7, "link:a->b").random();
        let b: u64 = stream_rng(7, "link:b->a").random();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
    }
}
