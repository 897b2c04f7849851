//! The event queue: what runs next, ordered by virtual time and, within one
//! instant, by a tie-break drawn from the seed.
//!
//! The tie-break is what fuzzes interleavings: two hosts woken at the same
//! instant run in an order that depends on the seed only, never on
//! allocation addresses, hash order or thread timing. An actor's
//! end-of-instant step ([`Target::ActorFinish`]) sorts after every other
//! entry of its instant, whenever that entry was scheduled.
//!
//! Each target (a host, an actor, an actor's end-of-instant step) has at most
//! one entry: rescheduling moves it, cancelling removes it. An indexed binary
//! heap does this in O(log targets), so the queue never fills with stale
//! entries, however often a deadline moves (the network's moves with every
//! packet).

use std::cmp::Ordering;

use rand::RngCore;
use rand_chacha::ChaCha20Rng;
use sim_clock::SimTime;

/// What an entry runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Host(u32),
    Actor(u32),
    /// An actor's end-of-instant step.
    ActorFinish(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    time: SimTime,
    /// Runs after every ordinary entry of the same instant.
    last: bool,
    tiebreak: u64,
    seq: u64,
    target: Target,
}

impl Entry {
    fn key(&self) -> (SimTime, bool, u64, u64) {
        (self.time, self.last, self.tiebreak, self.seq)
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Marks a target with no entry in [`EventQueue::heap`].
const ABSENT: u32 = u32::MAX;

pub(crate) struct EventQueue {
    /// A binary min-heap on [`Entry::key`].
    heap: Vec<Entry>,
    /// Where each target's entry is in `heap` (or [`ABSENT`]), by kind and
    /// index.
    hosts: Vec<u32>,
    actors: Vec<u32>,
    finishes: Vec<u32>,
    rng: ChaCha20Rng,
    seq: u64,
}

impl EventQueue {
    pub(crate) fn new(rng: ChaCha20Rng) -> EventQueue {
        EventQueue {
            heap: Vec::new(),
            hosts: Vec::new(),
            actors: Vec::new(),
            finishes: Vec::new(),
            rng,
            seq: 0,
        }
    }

    /// The pending time of `target`, if it has an entry.
    pub(crate) fn scheduled(&self, target: Target) -> Option<SimTime> {
        let at = self.position(target);
        (at != ABSENT).then(|| self.heap[at as usize].time)
    }

    /// Schedules `target` at `time` or cancels it (`None`). An unchanged time
    /// keeps its entry (and its place among equal times); a new time draws a
    /// new tie-break.
    pub(crate) fn set(&mut self, target: Target, time: Option<SimTime>) {
        let at = self.position(target);
        match time {
            None => self.remove(target),
            Some(time) if at == ABSENT => self.insert(target, time),
            Some(time) if self.heap[at as usize].time == time => {}
            Some(time) => {
                // Moved in place: one sift instead of a removal and an insertion.
                let at = at as usize;
                self.heap[at] = self.entry(target, time);
                let at = self.sift_up(at);
                self.sift_down(at);
            }
        }
    }

    /// Asks to run `target` at `time`, keeping an earlier pending time.
    pub(crate) fn request(&mut self, target: Target, time: SimTime) {
        match self.scheduled(target) {
            Some(at) if at <= time => {}
            _ => self.set(target, Some(time)),
        }
    }

    /// Removes `target`'s entry, if any.
    pub(crate) fn cancel(&mut self, target: Target) {
        self.remove(target);
    }

    pub(crate) fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| e.time)
    }

    /// Takes the earliest entry.
    pub(crate) fn pop(&mut self) -> Option<(SimTime, Target)> {
        let top = *self.heap.first()?;
        self.remove(top.target);
        Some((top.time, top.target))
    }

    /// A new entry for `target` at `time`, with its tie-break drawn.
    fn entry(&mut self, target: Target, time: SimTime) -> Entry {
        self.seq += 1;
        Entry {
            time,
            last: matches!(target, Target::ActorFinish(_)),
            tiebreak: self.rng.next_u64(),
            seq: self.seq,
            target,
        }
    }

    fn insert(&mut self, target: Target, time: SimTime) {
        let entry = self.entry(target, time);
        let at = self.heap.len();
        self.heap.push(entry);
        self.set_position(target, at as u32);
        self.sift_up(at);
    }

    fn remove(&mut self, target: Target) {
        let at = self.position(target);
        if at == ABSENT {
            return;
        }
        let at = at as usize;
        self.set_position(target, ABSENT);
        let last = self.heap.len() - 1;
        if at != last {
            self.heap.swap(at, last);
            self.heap.pop();
            let moved = self.heap[at].target;
            self.set_position(moved, at as u32);
            // The entry moved into the hole may belong above or below it.
            let at = self.sift_up(at);
            self.sift_down(at);
        } else {
            self.heap.pop();
        }
    }

    /// Moves the entry at `at` up while it sorts before its parent; returns
    /// where it ends.
    fn sift_up(&mut self, mut at: usize) -> usize {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[at] >= self.heap[parent] {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
        at
    }

    fn sift_down(&mut self, mut at: usize) {
        let len = self.heap.len();
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut least = at;
            if left < len && self.heap[left] < self.heap[least] {
                least = left;
            }
            if right < len && self.heap[right] < self.heap[least] {
                least = right;
            }
            if least == at {
                return;
            }
            self.swap(at, least);
            at = least;
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        let (ta, tb) = (self.heap[a].target, self.heap[b].target);
        self.set_position(ta, a as u32);
        self.set_position(tb, b as u32);
    }

    fn position(&self, target: Target) -> u32 {
        let (list, i) = match target {
            Target::Host(i) => (&self.hosts, i),
            Target::Actor(i) => (&self.actors, i),
            Target::ActorFinish(i) => (&self.finishes, i),
        };
        list.get(i as usize).copied().unwrap_or(ABSENT)
    }

    fn set_position(&mut self, target: Target, at: u32) {
        let (list, i) = match target {
            Target::Host(i) => (&mut self.hosts, i),
            Target::Actor(i) => (&mut self.actors, i),
            Target::ActorFinish(i) => (&mut self.finishes, i),
        };
        let i = i as usize;
        if list.len() <= i {
            list.resize(i + 1, ABSENT);
        }
        list[i] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn queue() -> EventQueue {
        EventQueue::new(ChaCha20Rng::seed_from_u64(7))
    }

    fn t(n: u64) -> SimTime {
        SimTime::from_nanos(n)
    }

    fn drain(q: &mut EventQueue) -> Vec<(u64, Target)> {
        std::iter::from_fn(|| q.pop().map(|(time, target)| (time.as_nanos(), target))).collect()
    }

    #[test]
    fn pops_in_time_order_with_one_entry_per_target() {
        let mut q = queue();
        for i in 0..50u32 {
            q.set(Target::Host(i), Some(t(u64::from((i * 37) % 50))));
        }
        // Rescheduling moves the entry; it does not add one.
        for i in 0..50u32 {
            q.set(Target::Host(i), Some(t(u64::from((i * 11) % 50) + 100)));
        }
        q.cancel(Target::Host(3));
        let popped = drain(&mut q);
        assert_eq!(popped.len(), 49);
        assert!(popped.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(!popped.iter().any(|&(_, target)| target == Target::Host(3)));
    }

    #[test]
    fn request_keeps_an_earlier_time_and_set_replaces_it() {
        let mut q = queue();
        q.request(Target::Actor(0), t(10));
        q.request(Target::Actor(0), t(20));
        assert_eq!(q.scheduled(Target::Actor(0)), Some(t(10)));
        q.request(Target::Actor(0), t(5));
        assert_eq!(q.scheduled(Target::Actor(0)), Some(t(5)));
        q.set(Target::Actor(0), Some(t(30)));
        assert_eq!(q.scheduled(Target::Actor(0)), Some(t(30)));
        q.set(Target::Actor(0), None);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn end_of_instant_steps_sort_after_everything_else_at_their_time() {
        let mut q = queue();
        q.set(Target::ActorFinish(0), Some(t(10)));
        for i in 0..20 {
            q.set(Target::Host(i), Some(t(10)));
        }
        q.set(Target::Actor(1), Some(t(11)));
        let popped = drain(&mut q);
        assert_eq!(popped[20], (10, Target::ActorFinish(0)));
        assert_eq!(popped[21], (11, Target::Actor(1)));
    }

    #[test]
    fn equal_times_are_ordered_by_the_seed() {
        let order = |seed: u64| {
            let mut q = EventQueue::new(ChaCha20Rng::seed_from_u64(seed));
            for i in 0..10 {
                q.set(Target::Host(i), Some(t(1)));
            }
            drain(&mut q)
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
    }
}
