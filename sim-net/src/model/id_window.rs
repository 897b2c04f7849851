//! A map from ids that are handed out in increasing order (socket ids) to
//! values: a dense window of slots indexed by `id - base` for the recent
//! ids, and an ordered map for the old ids below `base` that are still
//! present.
//!
//! Sockets are looked up on every operation, often several times, and an
//! index is far cheaper than a tree search, so recent ids live in the
//! window. Empty slots at either end are trimmed as values go. An id that
//! stays present while many later ones come and go (a listener that stays
//! open) would keep the window spanning every id opened since, a pointer
//! each and never given back; so when the window gets sparse (more than
//! `4 * n + 64` slots for its `n` values), the values below a new, higher
//! base move to `old` and the slots below it go. What is left is the
//! longest run of recent ids with at most `2 * n + 32` slots for its `n`
//! values, so the next compaction needs the window to double again. A value
//! first inserted below the window (a socket's first waiter, after later
//! sockets had theirs) joins the window if that does not make it sparse,
//! and goes to `old` otherwise.
//!
//! Cost: the window never holds more than `4 * n + 64` slots for its `n`
//! values, its deque keeps no more capacity than four times its length plus
//! 64, and `old` holds a tree entry per value, so memory is proportional to
//! the values present plus a constant. A lookup of an id in the window is an index, as before;
//! only ids below `base` pay a tree search, and a miss above it a compare.
//! A compaction scans the window once and drops at least half of it, so its
//! scan is paid for by the slots it drops (each slot is made once and
//! dropped once), and each value moves to `old` at most once: amortised
//! O(1) per slot made, plus one tree insertion per value moved. Iteration is
//! in id order, as an ordered map's: `old` first, then the window.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

pub(crate) struct IdWindow<T> {
    /// Id of `slots[0]`; every key of `old` is below it, also when `slots`
    /// is empty, so an id at or above it is only ever in the window.
    base: u64,
    /// Boxed so that an empty slot costs a pointer.
    slots: VecDeque<Option<Box<T>>>,
    /// How many slots are `Some`, so that sparseness is known without a
    /// scan.
    present: usize,
    /// Values below `base`, moved out of a sparse window. Boxed as in the
    /// window, so that moving one is a pointer copy, not a copy of `T`.
    old: BTreeMap<u64, Box<T>>,
}

/// Whether a window spanning `span` ids for `present` values holds too many
/// empty slots and is to be compacted. The constant keeps a small window
/// (a few sockets with gaps between them) from compacting all the time.
fn sparse(span: u64, present: usize) -> bool {
    span > 4 * present as u64 + 64
}

/// Whether a run of `span` ids holding `present` values may stay in the
/// window after a compaction: at most half of what [`sparse`] allows, so
/// that a compaction leaves at most half of the slots it scanned.
fn dense_enough(span: u64, present: usize) -> bool {
    span <= 2 * present as u64 + 32
}

impl<T> Default for IdWindow<T> {
    fn default() -> Self {
        IdWindow {
            base: 0,
            slots: VecDeque::new(),
            present: 0,
            old: BTreeMap::new(),
        }
    }
}

impl<T> IdWindow<T> {
    fn index(&self, id: u64) -> Option<usize> {
        let i = id.checked_sub(self.base)?;
        (i < self.slots.len() as u64).then_some(i as usize)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        match self.index(id) {
            Some(i) => self.slots[i].as_deref(),
            None => self.get_old(id),
        }
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        match self.index(id) {
            Some(i) => self.slots[i].as_deref_mut(),
            None => self.get_old_mut(id),
        }
    }

    /// Out of line, so that the window lookup stays small where it is
    /// inlined.
    #[inline(never)]
    fn get_old(&self, id: u64) -> Option<&T> {
        if id < self.base {
            self.old.get(&id).map(|v| &**v)
        } else {
            None
        }
    }

    /// As [`get_old`](Self::get_old).
    #[inline(never)]
    fn get_old_mut(&mut self, id: u64) -> Option<&mut T> {
        if id < self.base {
            self.old.get_mut(&id).map(|v| &mut **v)
        } else {
            None
        }
    }

    /// The value under `id`, made by `make` if there is none.
    pub(crate) fn get_or_insert_with(&mut self, id: u64, make: impl FnOnce() -> T) -> &mut T {
        if id < self.base {
            return self.get_or_insert_below(id, make);
        }
        let end = self.base + self.slots.len() as u64;
        if id >= end {
            if sparse(id - self.base + 1, self.present + 1) {
                // Compact as if the slot for `id` were there already, so
                // that a far id does not first fill the gap with slots.
                self.compact(id - end + 1, 1);
            }
            if self.slots.is_empty() {
                self.base = id;
            }
            self.slots
                .resize_with((id - self.base) as usize + 1, || None);
        }
        let slot = &mut self.slots[(id - self.base) as usize];
        if slot.is_none() {
            self.present += 1;
        }
        slot.get_or_insert_with(|| Box::new(make()))
    }

    /// [`get_or_insert_with`](Self::get_or_insert_with) of an id below the
    /// window: rare (a socket's first waiter after later sockets had
    /// theirs), so out of line. The window grows down to `id` when that does
    /// not make it sparse and every key of `old` is below `id` (`old` must
    /// stay below `base`); otherwise the value goes to `old`.
    #[inline(never)]
    fn get_or_insert_below(&mut self, id: u64, make: impl FnOnce() -> T) -> &mut T {
        let above_old = self.old.last_key_value().is_none_or(|(k, _)| *k < id);
        // An empty window would restart at `id` alone.
        let end = if self.slots.is_empty() {
            id + 1
        } else {
            self.base + self.slots.len() as u64
        };
        if !above_old || sparse(end - id, self.present + 1) {
            return self.old.entry(id).or_insert_with(|| Box::new(make()));
        }
        if self.slots.is_empty() {
            // The loop below then opens the window at `id`.
            self.base = id + 1;
        }
        while id < self.base {
            self.slots.push_front(None);
            self.base -= 1;
        }
        self.present += 1;
        self.slots[0].insert(Box::new(make()))
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let Some(i) = self.index(id) else {
            return self.remove_old(id);
        };
        let value = self.slots[i].take()?;
        self.present -= 1;
        self.trim();
        if sparse(self.slots.len() as u64, self.present) {
            self.compact(0, 0);
        } else {
            self.shrink_if_loose();
        }
        Some(*value)
    }

    /// [`remove`](Self::remove) of an id outside the window.
    #[inline(never)]
    fn remove_old(&mut self, id: u64) -> Option<T> {
        if id < self.base {
            self.old.remove(&id).map(|v| *v)
        } else {
            None
        }
    }

    /// Drops the empty slots at either end.
    fn trim(&mut self) {
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        while matches!(self.slots.back(), Some(None)) {
            self.slots.pop_back();
        }
    }

    /// Keeps in the window only its longest suffix that is
    /// [`dense_enough`], counting `tail_present` more values in `tail` ids
    /// just past its end (an insertion about to happen there), and moves
    /// the values before that suffix to `old`. All of them are above every
    /// key of `old` (they are at or above `base`), and the new base is above
    /// all of them.
    fn compact(&mut self, tail: u64, tail_present: usize) {
        // The longest suffix is not found by stopping early: density is
        // not monotone in the suffix length, so look at every start.
        let len = self.slots.len();
        let mut cut = len;
        let mut present = tail_present;
        for i in (0..len).rev() {
            if self.slots[i].is_some() {
                present += 1;
            }
            if dense_enough((len - i) as u64 + tail, present) {
                cut = i;
            }
        }
        for (i, slot) in self.slots.drain(..cut).enumerate() {
            if let Some(value) = slot {
                self.old.insert(self.base + i as u64, value);
                self.present -= 1;
            }
        }
        // Past every moved id, so `old` stays below `base`, also when
        // nothing is left in the window.
        self.base += cut as u64;
        self.trim();
        self.shrink_if_loose();
    }

    /// Gives back the window's memory after a burst of values has gone: the
    /// deque keeps its largest capacity otherwise. Shrinking to twice the
    /// length means growing back past four times it takes as many new slots
    /// as the shrink copies, so shrinks are amortised too.
    fn shrink_if_loose(&mut self) {
        let len = self.slots.len();
        if self.slots.capacity() > 4 * len + 64 {
            self.slots.shrink_to(2 * len + 32);
        }
    }

    /// Present values with their ids, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let base = self.base;
        let old = self.old.iter().map(|(id, v)| (*id, &**v));
        let window = self
            .slots
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_deref().map(|v| (base + i as u64, v)));
        old.chain(window)
    }
}

impl<T: fmt::Debug> fmt::Debug for IdWindow<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// The window's own invariants: trimmed ends, `present` right, never
    /// sparse, `old` below `base`.
    fn check_layout<T>(window: &IdWindow<T>) {
        assert!(!matches!(window.slots.front(), Some(None)));
        assert!(!matches!(window.slots.back(), Some(None)));
        let present = window.slots.iter().filter(|s| s.is_some()).count();
        assert_eq!(window.present, present);
        assert!(!sparse(window.slots.len() as u64, window.present));
        if let Some((k, _)) = window.old.last_key_value() {
            assert!(*k < window.base);
        }
    }

    fn check_listing(window: &IdWindow<u64>, model: &BTreeMap<u64, u64>) {
        let listed: Vec<_> = window.iter().map(|(id, v)| (id, *v)).collect();
        let expected: Vec<_> = model.iter().map(|(id, v)| (*id, *v)).collect();
        assert_eq!(listed, expected);
    }

    /// Inserts and removals in any order agree with an ordered map, and the
    /// window shrinks back to nothing. The wider spreads of ids make the
    /// window sparse, so they go through compaction, `old`, and
    /// insertions below the window.
    #[test]
    fn agrees_with_an_ordered_map() {
        for spread in [64, 300, 1024, 100_000] {
            let mut window = IdWindow::default();
            let mut model = BTreeMap::new();
            let mut x: u64 = 99 + spread;
            for step in 0..5_000u64 {
                xorshift(&mut x);
                let id = 100 + x % spread;
                if x % 3 == 0 {
                    assert_eq!(window.remove(id), model.remove(&id));
                } else if x % 3 == 1 {
                    *window.get_or_insert_with(id, || 0) += step;
                    *model.entry(id).or_insert(0) += step;
                } else if let Some(v) = window.get_mut(id) {
                    *v += 1;
                    *model.get_mut(&id).unwrap() += 1;
                } else {
                    assert!(!model.contains_key(&id));
                }
                assert_eq!(window.get(id), model.get(&id));
                if step % 16 == 0 {
                    check_layout(&window);
                    check_listing(&window, &model);
                }
            }
            check_layout(&window);
            check_listing(&window, &model);
            for id in model.keys() {
                window.remove(*id);
            }
            assert!(window.slots.is_empty());
            assert!(window.old.is_empty());
        }
    }

    /// Ids handed out in increasing order, most closed soon, some kept
    /// long (every 1000th is only closed by the rare random close), a few
    /// far jumps, and now and then an insertion or a close of an old id:
    /// the window agrees with an ordered map after every operation.
    #[test]
    fn follows_an_ordered_map_as_ids_increase() {
        let mut window = IdWindow::default();
        let mut model = BTreeMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next_id = 0u64;
        for step in 0..200_000u64 {
            let r = xorshift(&mut x);
            let op = r % 32;
            let id = if op < 11 {
                // Open the next id, sometimes after a gap (ids used
                // elsewhere), rarely after a far one.
                next_id += match r >> 8 & 255 {
                    0 => 10_000,
                    1..=8 => r >> 16 & 255,
                    _ => 1,
                };
                *window.get_or_insert_with(next_id, || step) += 0;
                model.entry(next_id).or_insert(step);
                next_id
            } else if op < 23 {
                // Close a recent one (the first present among the last 64
                // ids), unless it is one to keep.
                let from = next_id.saturating_sub(r >> 8 & 63);
                let id = model.range(from..).next().map_or(from, |(id, _)| *id);
                if id % 1000 != 0 {
                    assert_eq!(window.remove(id), model.remove(&id));
                }
                id
            } else if op < 26 {
                // Close some older one: the first present at or after a
                // random id.
                let from = (r >> 8) % (next_id + 1);
                let id = model.range(from..).next().map_or(from, |(id, _)| *id);
                assert_eq!(window.remove(id), model.remove(&id));
                id
            } else if op < 27 {
                // An old id's value made late (an old socket's first
                // waiter), or found if present.
                let id = (r >> 8) % (next_id + 1);
                *window.get_or_insert_with(id, || step) += 1;
                *model.entry(id).or_insert(step) += 1;
                id
            } else {
                // Change a present value, or miss an absent one.
                let from = (r >> 8) % (next_id + 1);
                let id = model.range(from..).next().map_or(from, |(id, _)| *id);
                match window.get_mut(id) {
                    Some(v) => *v += 1,
                    None => assert!(!model.contains_key(&id)),
                }
                if let Some(v) = model.get_mut(&id) {
                    *v += 1;
                }
                id
            };
            assert_eq!(window.get(id), model.get(&id));
            let probe = (r >> 32) % (next_id + 2);
            assert_eq!(window.get(probe), model.get(&probe));
            assert!(!sparse(window.slots.len() as u64, window.present));
            assert_eq!(window.present + window.old.len(), model.len());
            if step % 64 == 0 {
                check_layout(&window);
                check_listing(&window, &model);
            }
        }
        check_layout(&window);
        check_listing(&window, &model);
        assert!(!window.old.is_empty(), "the sequence should reach `old`");
    }

    /// A listener (id 0) that stays open while a million connections come
    /// and go, a few at a time: the window stays small instead of growing
    /// by a slot per connection, and the listener is still found. After a
    /// burst of ten thousand open at once, the window's memory goes back.
    #[test]
    fn stays_small_under_an_old_listener() {
        let mut window = IdWindow::default();
        window.get_or_insert_with(0, || 0u64);
        let mut largest = 0;
        for id in 1..=1_000_000u64 {
            window.get_or_insert_with(id, || id);
            if id > 3 {
                assert_eq!(window.remove(id - 3), Some(id - 3));
            }
            largest = largest.max(window.slots.capacity());
        }
        assert!(largest < 1_000, "window grew to {largest} slots");
        assert_eq!(window.get(0), Some(&0));
        let listed: Vec<_> = window.iter().map(|(id, v)| (id, *v)).collect();
        assert_eq!(
            listed,
            [
                (0, 0),
                (999_998, 999_998),
                (999_999, 999_999),
                (1_000_000, 1_000_000)
            ]
        );
        assert_eq!(window.old.len(), 1);
        check_layout(&window);

        let burst = 1_000_001..1_010_001u64;
        for id in burst.clone() {
            window.get_or_insert_with(id, || id);
        }
        assert!(window.slots.len() >= 10_000);
        for id in burst {
            assert_eq!(window.remove(id), Some(id));
        }
        assert!(window.slots.capacity() < 1_000);
        check_layout(&window);
    }
}
