//! The event queue: what runs next, ordered by virtual time and, within one
//! instant, by a tie-break drawn from the seed.
//!
//! The tie-break is what fuzzes interleavings: two hosts woken at the same
//! instant run in an order that depends on the seed only, never on
//! allocation addresses, hash order or thread timing. An actor's
//! end-of-instant step ([`Target::ActorFinish`]) runs after every other
//! entry of its instant, whenever that entry was scheduled.
//!
//! Each target (a host, an actor, an actor's end-of-instant step) has at most
//! one entry: rescheduling moves it, cancelling removes it. Hosts and actors
//! live in an indexed binary heap, which does this in O(log targets), so the
//! queue never fills with stale entries, however often a deadline moves (the
//! network's moves with every packet).
//!
//! End-of-instant steps live apart, in a short unordered list, and draw their
//! tie-break only when two of them are due at once. The network asks for one
//! whenever a segment arrives (the ACK it may owe) and cancels it as soon as
//! the application's reply carries that ACK, which in request/response
//! traffic is nearly always: the list makes that pair of calls a push and a
//! removal from a list of one, where the heap would draw a tie-break and sift
//! twice.

use std::cmp::Ordering;

use rand::{Rng, RngCore};
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
    tiebreak: u64,
    seq: u64,
    target: Target,
}

impl Entry {
    fn key(&self) -> (SimTime, u64, u64) {
        (self.time, self.tiebreak, self.seq)
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
    /// Hosts and actors: a binary min-heap on [`Entry::key`].
    heap: Vec<Entry>,
    /// Where each target's entry is in `heap` (or [`ABSENT`]), by kind and
    /// index.
    hosts: Vec<u32>,
    actors: Vec<u32>,
    /// Pending end-of-instant steps, `(time, actor)`, in no order: there is
    /// one per actor at most, and a simulation has a handful of actors.
    finishes: Vec<(SimTime, u32)>,
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
        if let Target::ActorFinish(actor) = target {
            return self.finish_of(actor).map(|i| self.finishes[i].0);
        }
        let at = self.position(target);
        (at != ABSENT).then(|| self.heap[at as usize].time)
    }

    /// Schedules `target` at `time` or cancels it (`None`). An unchanged time
    /// keeps its entry (and its place among equal times); a new time draws a
    /// new tie-break.
    pub(crate) fn set(&mut self, target: Target, time: Option<SimTime>) {
        if let Target::ActorFinish(actor) = target {
            self.set_finish(actor, time);
            return;
        }
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
        self.set(target, None);
    }

    pub(crate) fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.first().map(|e| e.time);
        match self.first_finish_time() {
            Some(f) => Some(heap.map_or(f, |h| h.min(f))),
            None => heap,
        }
    }

    /// Takes the earliest entry. At one instant, hosts and actors come first
    /// (by tie-break), then end-of-instant steps.
    pub(crate) fn pop(&mut self) -> Option<(SimTime, Target)> {
        if let Some(f) = self.first_finish_time() {
            if self.heap.first().is_none_or(|top| f < top.time) {
                return Some((f, Target::ActorFinish(self.pop_finish(f))));
            }
        }
        let top = *self.heap.first()?;
        self.remove(top.target);
        Some((top.time, top.target))
    }

    /// A new entry for `target` at `time`, with its tie-break drawn.
    fn entry(&mut self, target: Target, time: SimTime) -> Entry {
        self.seq += 1;
        Entry {
            time,
            tiebreak: self.rng.next_u64(),
            seq: self.seq,
            target,
        }
    }

    /// Where `actor`'s end-of-instant step is in `finishes`.
    fn finish_of(&self, actor: u32) -> Option<usize> {
        self.finishes.iter().position(|&(_, a)| a == actor)
    }

    fn set_finish(&mut self, actor: u32, time: Option<SimTime>) {
        match (self.finish_of(actor), time) {
            (Some(i), Some(time)) => self.finishes[i].0 = time,
            (Some(i), None) => {
                self.finishes.swap_remove(i);
            }
            (None, Some(time)) => self.finishes.push((time, actor)),
            (None, None) => {}
        }
    }

    fn first_finish_time(&self) -> Option<SimTime> {
        self.finishes.iter().map(|&(t, _)| t).min()
    }

    /// Removes and returns the actor of an end-of-instant step due at `time`
    /// (the earliest). Several due at once run in an order drawn from the
    /// seed, as hosts' steps do; they are considered in actor order so the
    /// draw alone decides.
    fn pop_finish(&mut self, time: SimTime) -> u32 {
        let due = |&&(t, _): &&(SimTime, u32)| t == time;
        let actor = if self.finishes.iter().filter(due).count() == 1 {
            self.finishes.iter().find(due).map_or(0, |&(_, a)| a)
        } else {
            let mut actors: Vec<u32> = self.finishes.iter().filter(due).map(|&(_, a)| a).collect();
            actors.sort_unstable();
            actors[self.rng.random_range(0..actors.len())]
        };
        self.set_finish(actor, None);
        actor
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

    /// Where a host's or an actor's entry is in `heap` (end-of-instant steps
    /// are never there).
    fn position(&self, target: Target) -> u32 {
        let (list, i) = match target {
            Target::Host(i) => (&self.hosts, i),
            Target::Actor(i) => (&self.actors, i),
            Target::ActorFinish(_) => return ABSENT,
        };
        list.get(i as usize).copied().unwrap_or(ABSENT)
    }

    fn set_position(&mut self, target: Target, at: u32) {
        let (list, i) = match target {
            Target::Host(i) => (&mut self.hosts, i),
            Target::Actor(i) => (&mut self.actors, i),
            // End-of-instant steps are not in the heap.
            Target::ActorFinish(_) => return,
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
    fn end_of_instant_steps_move_cancel_and_share_an_instant_by_the_seed() {
        let order = |seed: u64| {
            let mut q = EventQueue::new(ChaCha20Rng::seed_from_u64(seed));
            for a in 0..8 {
                q.set(Target::ActorFinish(a), Some(t(5)));
            }
            q.set(Target::ActorFinish(2), Some(t(4)));
            q.cancel(Target::ActorFinish(3));
            q.set(Target::ActorFinish(4), None);
            q.set(Target::Actor(0), Some(t(5)));
            assert_eq!(q.scheduled(Target::ActorFinish(2)), Some(t(4)));
            assert_eq!(q.scheduled(Target::ActorFinish(3)), None);
            assert_eq!(q.peek_time(), Some(t(4)));
            drain(&mut q)
        };
        let first = order(1);
        assert_eq!(first[0], (4, Target::ActorFinish(2)));
        assert_eq!(first[1], (5, Target::Actor(0)));
        let mut rest: Vec<_> = first[2..].to_vec();
        rest.sort_by_key(|&(_, target)| match target {
            Target::ActorFinish(a) => a,
            _ => u32::MAX,
        });
        let expected: Vec<_> = [0, 1, 5, 6, 7]
            .into_iter()
            .map(|a| (5, Target::ActorFinish(a)))
            .collect();
        assert_eq!(rest, expected);
        assert_eq!(order(1), first);
        assert!((2..20).any(|seed| order(seed) != first));
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
