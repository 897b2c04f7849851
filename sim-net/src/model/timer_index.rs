//! The timer index: which socket's timer is due next, in `(time, socket id)`
//! order.
//!
//! Each socket has at most one deadline, the earliest of its TCP timers
//! (retransmission, persist, keepalive, linger, connect timeout), held in
//! its [`SocketEntry::timer`](super::socket::SocketEntry::timer). That slot
//! is the authority; this index only finds the earliest slot fast.
//!
//! It is a binary min-heap with *lazy deletion*. A message sent arms the
//! retransmission timer and the acknowledgement of the reply cancels it, so
//! the deadline of a busy connection changes twice per message; an ordered
//! set pays a search and a node insert or removal each time. Here arming
//! pushes `(time, id)`, and cancelling or moving a timer changes the slot:
//! a heap entry is *live* iff its socket still exists and its slot holds
//! that time. A stale entry at the top is dropped at once (an ACK cancels
//! the timer due first); others are dropped when they reach the top, or all
//! at once when they outnumber the live ones or keep costing checks, so
//! memory stays within twice the live timers (plus a constant) and time
//! amortised O(log n) per change. The top is kept live after every change
//! ([`settle`](TimerIndex::settle)), so reading the next deadline is a
//! peek, and while the heap holds no stale entry (a count says so) nothing
//! needs checking against the socket table.
//!
//! A socket moved away from a time and back leaves two equal entries that
//! both look live. They stand for the same timer: firing clears the slot
//! (see [`pop`](TimerIndex::pop)), which turns the copy stale, unless the
//! connection re-arms at that very time, in which case it is due again, as
//! it would be in an ordered set.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::ids::{SocketId, Time};

/// One heap entry: a deadline and the socket it belongs to.
type Entry = (Time, SocketId);

/// Stale entries tolerated beyond as many as there are live ones, so that a
/// small heap is not rebuilt on every other change.
const SLACK: usize = 16;

/// A min-heap of `(deadline, socket)` with lazy deletion (see the
/// [module docs](self)).
///
/// Every change of a socket's slot goes through [`set`](Self::set), and every
/// change is followed by [`settle`](Self::settle) before the next
/// [`peek`](Self::peek), once the caller can say which entries are live.
#[derive(Debug, Default)]
pub(crate) struct TimerIndex {
    /// Every live entry, and stale ones not yet dropped; least first.
    heap: BinaryHeap<Reverse<Entry>>,
    /// How many slots hold a time. Every such slot has an entry in the heap,
    /// so the heap holds no stale entry (nor equal copies) iff its length is
    /// `live`.
    live: usize,
    /// [`settle`](Self::settle) has work: the top may be stale, or the heap
    /// is due for a rebuild.
    unsettled: bool,
    /// Liveness checks since the last rebuild. A stale entry below a live
    /// top (a timer moved earlier) makes every later change check the top
    /// until it is gone: once these checks reach the heap's length, a
    /// rebuild clears it, for a cost of O(log n) per check.
    checks: usize,
    /// Rebuilds so far, for the tests to check they happen.
    #[cfg(test)]
    rebuilds: usize,
}

impl TimerIndex {
    /// The earliest live `(deadline, socket)`, if any. Exact once
    /// [`settle`](Self::settle) ran after the last change.
    #[inline]
    pub(crate) fn peek(&self) -> Option<Entry> {
        debug_assert!(!self.unsettled, "timer index read before settle");
        self.heap.peek().map(|&Reverse(top)| top)
    }

    /// Moves socket `id`'s timer from `*slot` (its slot, the authority) to
    /// `next`, and writes `next` there.
    ///
    /// The old entry turns stale. If it is the top, it goes at once (the
    /// common case: an acknowledgement cancels the retransmission timer that
    /// was due first), and the new top is known to be live when no other
    /// stale entry is left; otherwise it stays for [`settle`](Self::settle).
    #[inline]
    pub(crate) fn set(&mut self, id: SocketId, slot: &mut Option<Time>, next: Option<Time>) {
        let old = *slot;
        if old == next {
            // Most calls: the connection did not touch its timers.
            return;
        }
        *slot = next;
        if let Some(old) = old {
            self.live -= 1;
            if self.heap.peek() == Some(&Reverse((old, id))) {
                self.heap.pop();
                if self.heap.len() > self.live {
                    self.unsettled = true;
                }
            }
        }
        if let Some(new) = next {
            self.live += 1;
            self.heap.push(Reverse((new, id)));
        }
        if self.heap.len() > 2 * self.live + SLACK {
            self.unsettled = true;
        }
    }

    /// Removes the top entry, the timer about to fire. The caller then
    /// clears the slot with [`set`](Self::set) (before the connection
    /// re-arms), which makes any equal copy stale, and settles.
    pub(crate) fn pop(&mut self) -> Option<Entry> {
        self.unsettled = true;
        self.heap.pop().map(|Reverse(top)| top)
    }

    /// Restores the invariants after changes: drops stale entries from the
    /// top, so that [`peek`](Self::peek) sees a live one, and rebuilds the
    /// heap from its live entries when it holds more than twice as many as
    /// there are live timers (plus [`SLACK`]), or when stale entries below
    /// the top have cost as many checks as there are entries.
    /// `is_live(time, id)` says whether socket `id` exists and its slot
    /// holds `time`. Free when there is nothing to do.
    #[inline]
    pub(crate) fn settle(&mut self, is_live: impl FnMut(Time, SocketId) -> bool) {
        if self.unsettled {
            self.settle_now(is_live);
        }
    }

    /// The work of [`settle`](Self::settle), out of line.
    #[inline(never)]
    fn settle_now(&mut self, mut is_live: impl FnMut(Time, SocketId) -> bool) {
        let len = self.heap.len();
        if len > 2 * self.live + SLACK || (len > self.live && self.checks >= len) {
            self.rebuild(&mut is_live);
        }
        while let Some(&Reverse((t, id))) = self.heap.peek() {
            self.checks += 1;
            if is_live(t, id) {
                break;
            }
            self.heap.pop();
        }
        self.unsettled = false;
    }

    /// Keeps one copy of each live entry (sorting finds the equal copies)
    /// and heapifies them again, in the same allocation.
    fn rebuild(&mut self, is_live: &mut impl FnMut(Time, SocketId) -> bool) {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.retain(|&Reverse((t, id))| is_live(t, id));
        entries.sort_unstable();
        entries.dedup();
        debug_assert_eq!(entries.len(), self.live, "a live timer lost its entry");
        self.heap = BinaryHeap::from(entries);
        self.checks = 0;
        #[cfg(test)]
        {
            self.rebuilds += 1;
        }
    }

    /// Entries held, stale ones included.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The slots of a few sockets, as the socket table holds them.
    struct Slots(Vec<Option<Option<Time>>>);

    impl Slots {
        fn is_live(&self, t: Time, id: SocketId) -> bool {
            self.0.get(id.0 as usize) == Some(&Some(Some(t)))
        }
    }

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// Arming, moving, cancelling, firing (with re-arming at the same time)
    /// and removing sockets give the same next timer, and fire the same
    /// timers in the same order, as an ordered set kept exactly.
    #[test]
    fn agrees_with_an_ordered_set() {
        const SOCKETS: usize = 48;
        let mut index = TimerIndex::default();
        let mut model: BTreeSet<(Time, SocketId)> = BTreeSet::new();
        // `None`: removed. A fresh socket then takes the id, which the
        // network never does (ids only increase): a harsher test, since an
        // old entry can come back to life.
        let mut slots = Slots(vec![Some(None); SOCKETS]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut now: Time = 0;
        let mut fired = 0u64;
        for _ in 0..200_000 {
            let r = xorshift(&mut x);
            let i = (r >> 8) as usize % SOCKETS;
            let id = SocketId(i as u64);
            match r % 16 {
                // Fire what is due, as the network does.
                0..=2 => {
                    now += r >> 60;
                    while let Some((t, id)) = index.peek().filter(|&(t, _)| t <= now) {
                        assert_eq!(model.pop_first(), Some((t, id)));
                        assert_eq!(index.pop(), Some((t, id)));
                        let slot = slots.0[id.0 as usize].as_mut().unwrap();
                        index.set(id, slot, None);
                        fired += 1;
                        if xorshift(&mut x) % 4 == 0 {
                            // Due again at once: it must fire a second time.
                            index.set(id, slot, Some(t));
                            model.insert((t, id));
                        }
                        index.settle(|t, id| slots.is_live(t, id));
                    }
                }
                // Remove the socket; a fresh one takes the slot.
                3 => {
                    if let Some(slot) = slots.0[i].take() {
                        let mut slot = slot;
                        if let Some(t) = slot {
                            model.remove(&(t, id));
                        }
                        index.set(id, &mut slot, None);
                    } else {
                        slots.0[i] = Some(None);
                    }
                }
                // Cancel.
                4..=6 => {
                    if let Some(slot) = slots.0[i].as_mut() {
                        if let Some(t) = *slot {
                            model.remove(&(t, id));
                        }
                        index.set(id, slot, None);
                    }
                }
                // Arm or move, often back to a time used before.
                _ => {
                    if let Some(slot) = slots.0[i].as_mut() {
                        // Near (and often equal to earlier times), or far
                        // (stale entries pile up under a live top).
                        let t = if r & 0x10 == 0 {
                            now + (r >> 40) % 8
                        } else {
                            now + 1_000 + (r >> 40) % 1_000
                        };
                        if let Some(old) = *slot {
                            model.remove(&(old, id));
                        }
                        model.insert((t, id));
                        index.set(id, slot, Some(t));
                    }
                }
            }
            index.settle(|t, id| slots.is_live(t, id));
            assert_eq!(index.peek(), model.first().copied());
            assert_eq!(index.live, model.len());
            assert!(index.held() <= 2 * model.len() + SLACK);
        }
        assert!(fired > 10_000, "the sequence fires timers ({fired})");
        assert!(index.rebuilds > 100, "and rebuilds ({})", index.rebuilds);
    }

    /// A socket moved a million times, earlier and later, with another
    /// socket's timer below it, never leaves more than a few stale entries.
    #[test]
    fn re_arming_stays_bounded() {
        let mut index = TimerIndex::default();
        let mut slots = Slots(vec![Some(None), Some(None)]);
        let (busy, idle) = (SocketId(0), SocketId(1));
        index.set(idle, slots.0[1].as_mut().unwrap(), Some(1));
        let mut max_held = 0;
        for i in 0..1_000_000u64 {
            let t = 2 + if i % 2 == 0 { 1_000_000 - i } else { i % 7 };
            index.set(busy, slots.0[0].as_mut().unwrap(), Some(t));
            index.settle(|t, id| slots.is_live(t, id));
            max_held = max_held.max(index.held());
        }
        assert!(max_held <= 2 * 2 + SLACK, "held {max_held}");
        assert!(index.rebuilds > 10_000, "rebuilds {}", index.rebuilds);
        assert_eq!(index.peek(), Some((1, idle)));
    }

    /// Two connections in ping-pong, each arming its retransmission timer
    /// when it sends and cancelling it on the reply, with a stale entry
    /// left below from the handshake: after a few checks against the socket
    /// table, the index needs none.
    #[test]
    fn ping_pong_stops_checking() {
        let mut index = TimerIndex::default();
        let mut slots = Slots(vec![Some(None), Some(None)]);
        let checks = std::cell::Cell::new(0u64);
        let is_live = |slots: &Slots, t, id| {
            checks.set(checks.get() + 1);
            slots.is_live(t, id)
        };
        let (a, b) = (SocketId(0), SocketId(1));
        // A handshake timer, due late, moved earlier while another timer
        // was first: stale underneath.
        index.set(b, slots.0[1].as_mut().unwrap(), Some(100));
        index.set(a, slots.0[0].as_mut().unwrap(), Some(1_000_000));
        index.set(a, slots.0[0].as_mut().unwrap(), Some(200));
        index.set(b, slots.0[1].as_mut().unwrap(), None);
        index.settle(|t, id| is_live(&slots, t, id));
        assert_eq!(index.held(), 2);
        for round in 0..1_000u64 {
            let now = 200 + 10 * round;
            index.set(b, slots.0[1].as_mut().unwrap(), Some(now + 205));
            index.settle(|t, id| is_live(&slots, t, id));
            index.set(a, slots.0[0].as_mut().unwrap(), None);
            index.settle(|t, id| is_live(&slots, t, id));
            index.set(a, slots.0[0].as_mut().unwrap(), Some(now + 210));
            index.settle(|t, id| is_live(&slots, t, id));
            index.set(b, slots.0[1].as_mut().unwrap(), None);
            index.settle(|t, id| is_live(&slots, t, id));
            assert_eq!(index.peek(), Some((now + 210, a)));
        }
        assert!(checks.get() < 10, "{} checks", checks.get());
        assert_eq!(index.rebuilds, 1);
        assert_eq!(index.held(), 1);
    }

    /// Firing a timer whose socket was moved away from and back to the same
    /// time fires it once.
    #[test]
    fn an_equal_copy_fires_once() {
        let mut index = TimerIndex::default();
        let mut slots = Slots(vec![Some(None)]);
        let id = SocketId(0);
        for t in [5, 9, 5] {
            index.set(id, slots.0[0].as_mut().unwrap(), Some(t));
            index.settle(|t, id| slots.is_live(t, id));
        }
        assert_eq!(index.peek(), Some((5, id)));
        assert_eq!(index.pop(), Some((5, id)));
        index.set(id, slots.0[0].as_mut().unwrap(), None);
        index.settle(|t, id| slots.is_live(t, id));
        assert_eq!(index.peek(), None);
    }
}
