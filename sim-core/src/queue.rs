//! The event queue: what runs next, ordered by virtual time and, within one
//! instant, by a tie-break drawn from the seed.
//!
//! The tie-break is what fuzzes interleavings: two hosts woken at the same
//! instant run in an order that depends on the seed only, never on
//! allocation addresses, hash order or thread timing. Entries are never
//! removed; a host or actor that is rescheduled bumps its generation, and
//! entries of an older generation are skipped when they come up.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rand::RngCore;
use rand_chacha::ChaCha20Rng;
use sim_clock::SimTime;

/// What an entry runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Host(u32),
    Actor(u32),
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) time: SimTime,
    tiebreak: u64,
    seq: u64,
    pub(crate) target: Target,
    pub(crate) generation: u64,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.tiebreak, self.seq).cmp(&(other.time, other.tiebreak, other.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) struct EventQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    rng: ChaCha20Rng,
    seq: u64,
}

impl EventQueue {
    pub(crate) fn new(rng: ChaCha20Rng) -> EventQueue {
        EventQueue {
            heap: BinaryHeap::new(),
            rng,
            seq: 0,
        }
    }

    pub(crate) fn push(&mut self, time: SimTime, target: Target, generation: u64) {
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            time,
            tiebreak: self.rng.next_u64(),
            seq: self.seq,
            target,
            generation,
        }));
    }

    pub(crate) fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.time)
    }

    pub(crate) fn pop(&mut self) -> Option<Entry> {
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// Drops stale entries from the top, so `peek_time` tells the next real event.
    pub(crate) fn discard_stale_top(&mut self, is_live: impl Fn(&Entry) -> bool) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if is_live(top) {
                return;
            }
            self.heap.pop();
        }
    }
}

/// A schedulable thing's slot: its pending deadline and generation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Schedule {
    pub(crate) at: Option<SimTime>,
    pub(crate) generation: u64,
}

impl Schedule {
    /// Asks to run at `time` (keeping an earlier pending time). Returns the
    /// generation to push, or `None` if an entry at or before `time` exists.
    pub(crate) fn request(&mut self, time: SimTime) -> Option<u64> {
        match self.at {
            Some(at) if at <= time => None,
            _ => {
                self.generation += 1;
                self.at = Some(time);
                Some(self.generation)
            }
        }
    }

    /// Replaces any pending time with `time` (or none).
    pub(crate) fn set(&mut self, time: Option<SimTime>) -> Option<u64> {
        if self.at == time {
            return None;
        }
        self.generation += 1;
        self.at = time;
        time.map(|_| self.generation)
    }

    /// Cancels any pending entry.
    pub(crate) fn cancel(&mut self) {
        self.generation += 1;
        self.at = None;
    }

    /// Whether an entry of `generation` is the live one; consumes it if so.
    pub(crate) fn take(&mut self, generation: u64) -> bool {
        if self.generation == generation && self.at.is_some() {
            self.at = None;
            true
        } else {
            false
        }
    }

    pub(crate) fn is_live(&self, generation: u64) -> bool {
        self.generation == generation && self.at.is_some()
    }
}
