//! [`Pattern`]: seeded stream content that a receiver can check byte by
//! byte, so a lost, duplicated, reordered or corrupted byte is named by its
//! offset.
//!
//! Each byte is a hash of its offset and a key, so the content never
//! repeats with a short period: a chunk delivered at the wrong offset does
//! not check out by accident, as it could with `i % 251`.
//!
//! ```
//! use scenarios::pattern::Pattern;
//!
//! let p = Pattern::new(7);
//! let mut chunk = [0u8; 100];
//! p.fill(1000, &mut chunk);
//! assert!(p.check(1000, &chunk).is_ok());
//! let err = p.check(1001, &chunk).unwrap_err();
//! assert!(err.contains("offset 1001"), "{err}");
//! ```

/// The content of a seeded byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    key: u64,
}

impl Pattern {
    /// The stream keyed by `key` (draw it from the simulation's RNG so each
    /// seed sends different bytes).
    pub fn new(key: u64) -> Pattern {
        Pattern { key }
    }

    /// The byte at `offset`.
    pub fn byte(&self, offset: u64) -> u8 {
        // splitmix64's finaliser: cheap, and every input bit moves every
        // output bit, so neighbouring offsets give unrelated bytes.
        let mut z = offset
            .wrapping_add(self.key)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u8
    }

    /// Fills `buf` with the bytes starting at `offset`.
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.byte(offset + i as u64);
        }
    }

    /// Checks that `buf` holds the bytes starting at `offset`; the error
    /// names the first wrong byte.
    pub fn check(&self, offset: u64, buf: &[u8]) -> Result<(), String> {
        match (0..buf.len()).find(|&i| buf[i] != self.byte(offset + i as u64)) {
            None => Ok(()),
            Some(i) => Err(format!(
                "byte at stream offset {} is {:#04x}, expected {:#04x}",
                offset + i as u64,
                buf[i],
                self.byte(offset + i as u64)
            )),
        }
    }
}
