//! Which numbers are virtual descriptors.
//!
//! Virtual descriptors are `2^30` and above; real ones are below the
//! process's `RLIMIT_NOFILE` hard limit, which Linux caps at `fs.nr_open`
//! (1,048,576 unless an administrator raises it). [`crate::enter`]
//! refuses to start a simulation if the hard limit reaches `2^30`, so the
//! two can never meet. Above the base, the number carries the
//! simulation's slot (9 bits: up to 512 simulations at once in one
//! process) and an index in its table (21 bits: up to 2,097,152 open
//! descriptors per simulation).

/// The first virtual descriptor number.
pub const VIRTUAL_FD_BASE: libc::c_int = 1 << 30;

const INDEX_BITS: u32 = 21;
const SLOT_BITS: u32 = 9;

/// How many descriptors one simulation may have open at once.
pub const INDEX_LIMIT: usize = 1 << INDEX_BITS;

/// How many simulations may run at once in one process.
pub const SLOT_LIMIT: usize = 1 << SLOT_BITS;

/// Whether `fd` is in the virtual range (cheap: the check every
/// interposed call makes before anything else).
#[inline(always)]
pub fn is_virtual(fd: libc::c_int) -> bool {
    fd >= VIRTUAL_FD_BASE
}

/// The number of index `index` in slot `slot`.
pub(crate) fn number(slot: u32, index: usize) -> libc::c_int {
    VIRTUAL_FD_BASE | ((slot as libc::c_int) << INDEX_BITS) | index as libc::c_int
}

/// The slot and index of a virtual number.
pub(crate) fn split(fd: libc::c_int) -> Option<(u32, usize)> {
    if !is_virtual(fd) {
        return None;
    }
    let rest = (fd - VIRTUAL_FD_BASE) as u32;
    Some((
        rest >> INDEX_BITS,
        (rest & ((1 << INDEX_BITS) - 1)) as usize,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_stay_positive() {
        for (slot, index) in [(0, 0), (0, 5), (511, INDEX_LIMIT - 1), (17, 123_456)] {
            let fd = number(slot, index);
            assert!(fd > 0 && is_virtual(fd));
            assert_eq!(split(fd), Some((slot, index)));
        }
        assert_eq!(split(1_048_575), None);
        assert!(!is_virtual(VIRTUAL_FD_BASE - 1));
    }
}
