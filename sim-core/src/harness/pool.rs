//! Worker threads that take seeds in order and put results back in order.
//!
//! Seeds are claimed one at a time, in sweep order, by whichever worker is
//! free. When the sweep stops at the first failure, no seed after it is
//! claimed any more, and every seed claimed before it runs to the end, so
//! the failure reported first is the first one in sweep order, whatever the
//! number of workers; results after it are dropped, as a single worker
//! would never have run them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One finished seed: its position in the sweep, the seed, the result.
struct Done<T> {
    position: usize,
    seed: u64,
    result: T,
}

struct Claims {
    seeds: Box<dyn Iterator<Item = u64> + Send>,
    next: usize,
    stopped: bool,
}

/// What a pool run gives back.
pub(super) struct Ran<T> {
    /// `(seed, result)` in sweep order.
    pub(super) results: Vec<(u64, T)>,
    /// The time budget ran out before the seeds did.
    pub(super) out_of_time: bool,
}

/// Runs `work` on every seed of `seeds` with `jobs` threads, until the seeds
/// or the `budget` run out, or (with `stop_at_failure`) a result is a
/// failure according to `failed`.
pub(super) fn run<T: Send>(
    seeds: Box<dyn Iterator<Item = u64> + Send>,
    jobs: usize,
    budget: Option<Duration>,
    stop_at_failure: bool,
    failed: impl Fn(&T) -> bool + Sync,
    work: impl Fn(u64) -> T + Sync,
) -> Ran<T> {
    let started = Instant::now();
    // No more workers than seeds (a single seed runs on the caller's thread).
    let jobs = jobs.min(seeds.size_hint().1.unwrap_or(usize::MAX)).max(1);
    let claims = Mutex::new(Claims {
        seeds,
        next: 0,
        stopped: false,
    });
    let done: Mutex<Vec<Done<T>>> = Mutex::new(Vec::new());
    let out_of_time = Mutex::new(false);
    // No lock is held while user code runs, so none is ever poisoned.
    let claim = || -> Option<(usize, u64)> {
        let mut c = claims.lock().unwrap_or_else(|p| p.into_inner());
        if c.stopped {
            return None;
        }
        if budget.is_some_and(|b| started.elapsed() >= b) {
            c.stopped = true;
            *out_of_time.lock().unwrap_or_else(|p| p.into_inner()) = true;
            return None;
        }
        let seed = c.seeds.next()?;
        c.next += 1;
        Some((c.next - 1, seed))
    };
    let worker = || {
        while let Some((position, seed)) = claim() {
            let result = work(seed);
            if stop_at_failure && failed(&result) {
                claims.lock().unwrap_or_else(|p| p.into_inner()).stopped = true;
            }
            done.lock().unwrap_or_else(|p| p.into_inner()).push(Done {
                position,
                seed,
                result,
            });
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..jobs {
            scope.spawn(worker);
        }
        worker();
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|d| d.position);
    if stop_at_failure {
        if let Some(first) = done.iter().position(|d| failed(&d.result)) {
            done.truncate(first + 1);
        }
    }
    Ran {
        results: done.into_iter().map(|d| (d.seed, d.result)).collect(),
        out_of_time: out_of_time.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squares(jobs: usize, stop: bool) -> Vec<(u64, u64)> {
        run(
            Box::new(0..40),
            jobs,
            None,
            stop,
            |r: &u64| *r == 13 * 13 || *r == 30 * 30,
            |s| s * s,
        )
        .results
    }

    #[test]
    fn results_are_in_seed_order_for_any_number_of_workers() {
        let one = squares(1, false);
        assert_eq!(one.len(), 40);
        assert_eq!(one[7], (7, 49));
        for jobs in [2, 3, 8] {
            assert_eq!(squares(jobs, false), one);
        }
    }

    #[test]
    fn stopping_at_the_first_failure_ends_with_it_for_any_number_of_workers() {
        let one = squares(1, true);
        assert_eq!(one.last(), Some(&(13, 169)));
        assert_eq!(one.len(), 14);
        for jobs in [2, 3, 8] {
            assert_eq!(squares(jobs, true), one);
        }
    }

    #[test]
    fn a_spent_budget_claims_no_seed() {
        let ran = run(
            Box::new(0..),
            2,
            Some(Duration::ZERO),
            false,
            |_: &u64| false,
            |s| s,
        );
        assert!(ran.results.is_empty());
        assert!(ran.out_of_time);
    }
}
