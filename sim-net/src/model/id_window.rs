//! A map from ids that are handed out in increasing order (socket ids) to
//! values, as a window of slots indexed by `id - base`.
//!
//! Sockets are looked up on every operation, often several times, and an
//! index is far cheaper than a tree search. Empty slots at either end are
//! trimmed as values go, so the window spans the ids from the lowest to the
//! highest present; its cost is a pointer per id in that span (an old
//! listener that stays open keeps the span growing by one slot per socket
//! opened since). Iteration is in id order, as an ordered map's.

use std::collections::VecDeque;
use std::fmt;

pub(crate) struct IdWindow<T> {
    /// Id of `slots[0]`.
    base: u64,
    /// Boxed so that an empty slot costs a pointer.
    slots: VecDeque<Option<Box<T>>>,
}

impl<T> Default for IdWindow<T> {
    fn default() -> Self {
        IdWindow {
            base: 0,
            slots: VecDeque::new(),
        }
    }
}

impl<T> IdWindow<T> {
    fn index(&self, id: u64) -> Option<usize> {
        let i = id.checked_sub(self.base)?;
        (i < self.slots.len() as u64).then_some(i as usize)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        let i = self.index(id)?;
        self.slots[i].as_deref()
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let i = self.index(id)?;
        self.slots[i].as_deref_mut()
    }

    /// The value under `id`, made by `make` if there is none.
    pub(crate) fn get_or_insert_with(&mut self, id: u64, make: impl FnOnce() -> T) -> &mut T {
        if self.slots.is_empty() {
            self.base = id;
        }
        while id < self.base {
            self.slots.push_front(None);
            self.base -= 1;
        }
        let i = (id - self.base) as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i].get_or_insert_with(|| Box::new(make()))
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let i = self.index(id)?;
        let value = self.slots[i].take()?;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        while matches!(self.slots.back(), Some(None)) {
            self.slots.pop_back();
        }
        Some(*value)
    }

    /// Present values with their ids, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let base = self.base;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_deref().map(|v| (base + i as u64, v)))
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

    /// Inserts and removals in any order agree with an ordered map, and the
    /// window shrinks back to nothing.
    #[test]
    fn agrees_with_an_ordered_map() {
        let mut window = IdWindow::default();
        let mut model = BTreeMap::new();
        let mut x: u64 = 99;
        for step in 0..5_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = 100 + x % 64;
            if x % 3 == 0 {
                assert_eq!(window.remove(id), model.remove(&id));
            } else {
                *window.get_or_insert_with(id, || 0) += step;
                *model.entry(id).or_insert(0) += step;
            }
            assert_eq!(window.get(id), model.get(&id));
        }
        let listed: Vec<_> = window.iter().map(|(id, v)| (id, *v)).collect();
        let expected: Vec<_> = model.iter().map(|(id, v)| (*id, *v)).collect();
        assert_eq!(listed, expected);
        for id in model.keys() {
            window.remove(*id);
        }
        assert!(window.slots.is_empty());
    }
}
