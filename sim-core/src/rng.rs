//! Seeded randomness: one ChaCha generator per named purpose.
//!
//! Every random draw of a run comes from a ChaCha20 stream derived from the
//! run's seed and a name (`"scheduler"`, `"host/web/user"`, `"link/a->b"`).
//! Streams are independent, so adding a host does not reshuffle the draws of
//! the others. Host code reaches its own stream through [`rng()`], a
//! [`rand::RngCore`]; the operating-system entropy a host asks for (std's
//! `HashMap` keys, tokio's `select!` seeds) comes from a second stream of it.
//!
//! ```
//! use rand::RngCore;
//! let mut a = sim_core::rng::stream(7, "link/a->b");
//! let mut b = sim_core::rng::stream(7, "link/a->b");
//! assert_eq!(a.next_u64(), b.next_u64());
//! ```

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::world;

/// FNV-1a, 64 bits: a stable hash (same value in every process and version)
/// for naming streams and hashing traces.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, bytes);
    std::hash::Hasher::finish(&h)
}

/// The ChaCha20 stream called `name` of the run seeded with `seed`.
pub fn stream(seed: u64, name: &str) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(stable_hash(name.as_bytes()));
    rng
}

/// The streams of one run that the scheduler keeps.
pub(crate) struct Streams {
    seed: u64,
    sim_user: ChaCha20Rng,
    sim_entropy: ChaCha20Rng,
    hosts: Vec<(ChaCha20Rng, ChaCha20Rng)>,
}

impl Streams {
    pub(crate) fn new(seed: u64) -> Streams {
        Streams {
            seed,
            sim_user: stream(seed, "sim/user"),
            sim_entropy: stream(seed, "sim/entropy"),
            hosts: Vec::new(),
        }
    }

    pub(crate) fn add_host(&mut self, name: &str) {
        self.hosts.push((
            stream(self.seed, &format!("host/{name}/user")),
            stream(self.seed, &format!("host/{name}/entropy")),
        ));
    }

    pub(crate) fn user(&mut self, host: Option<usize>) -> &mut ChaCha20Rng {
        match host.and_then(|h| self.hosts.get_mut(h)) {
            Some((user, _)) => user,
            None => &mut self.sim_user,
        }
    }

    pub(crate) fn entropy(&mut self, host: Option<usize>) -> &mut ChaCha20Rng {
        match host.and_then(|h| self.hosts.get_mut(h)) {
            Some((_, entropy)) => entropy,
            None => &mut self.sim_entropy,
        }
    }
}

/// A handle on the current host's random stream (or the simulation's, outside
/// any host). Cheap to make; every draw goes to the shared stream, so the
/// sequence depends only on the seed and the order of draws.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimRng {
    _private: (),
}

/// The random generator of the code running now: the current host's stream
/// inside a host, the simulation's stream in setup and test code.
///
/// Outside any simulation it falls back to a generator seeded from the OS,
/// so that library code using it still works; that path is not replayable.
pub fn rng() -> SimRng {
    SimRng { _private: () }
}

fn with_stream<R>(f: impl FnOnce(&mut dyn RngCore) -> R) -> R {
    match world::try_current() {
        Some(w) => {
            let host = w.current_host.get().map(|h| h.index());
            let mut streams = w.streams.borrow_mut();
            f(streams.user(host))
        }
        None => f(&mut rand::rngs::StdRng::from_os_rng()),
    }
}

impl RngCore for SimRng {
    fn next_u32(&mut self) -> u32 {
        with_stream(|r| r.next_u32())
    }

    fn next_u64(&mut self) -> u64 {
        with_stream(|r| r.next_u64())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        with_stream(|r| r.fill_bytes(dest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published FNV-1a test vectors: stream names map to the same
    /// stream numbers in every process and version, or replays break.
    #[test]
    fn stable_hash_is_fnv1a_64() {
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a1 = stream(7, "link:a->b").next_u64();
        let a2 = stream(7, "link:a->b").next_u64();
        let b = stream(7, "link:b->a").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
    }
}
