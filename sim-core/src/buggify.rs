//! [`buggify!`](macro@crate::buggify): FoundationDB's BUGGIFY, to reach rare
//! paths on purpose (a short read, an early timeout, a slow disk write).
//!
//! Inside a simulation each call site is *enabled* or not for the whole run,
//! decided by the seed and the site's place in the source (a quarter of the
//! sites by default, see [`Builder::buggify`](crate::Builder::buggify)); an
//! enabled site fires with a probability each time it is reached: 25% for
//! `buggify!()`, `p` for `buggify!(p)`. A site that is not enabled never
//! fires in that run, so a seed explores a few misbehaviours at a time,
//! consistently, rather than every one of them a little.
//!
//! Outside a simulation `buggify!` is `false` and costs a thread-local read
//! and a branch, so the points can stay in production code.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn write_to_disk(data: &[u8]) {
//!     if sim_core::buggify!() {
//!         // A slow disk, sometimes.
//!         tokio::time::sleep(Duration::from_millis(200)).await;
//!     }
//!     let _ = data;
//! }
//! assert!(!sim_core::buggify!(1.0), "false outside a simulation");
//! ```
//!
//! Whether a site is enabled depends on the seed and the site only (not on
//! what ran before), and the firing draws come from the run's own
//! `buggify` random stream, so a seed replays the same choices. Each firing
//! is a note in the trace.

use rand::Rng;

use crate::rng::stable_hash;
use crate::world::{self, World};

/// The place of one `buggify!` call in the source.
#[derive(Debug)]
pub struct BuggifySite {
    /// Source file.
    pub file: &'static str,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
}

/// Fraction of sites a run enables unless the builder says otherwise.
pub const DEFAULT_SITES: f64 = 0.25;

/// Firing probability of `buggify!()` at an enabled site.
pub const DEFAULT_FIRE: f64 = 0.25;

/// Whether `site` fires now (the macro's back end).
#[doc(hidden)]
#[inline]
pub fn __fires(site: &'static BuggifySite, probability: f64) -> bool {
    world::with_current(|w| fires_in(w, site, probability)).unwrap_or(false)
}

/// Whether `site` is enabled for the run seeded with `seed` when a
/// fraction `sites` of all sites is: a pure function of the three, so the
/// answer does not depend on which sites ran first.
pub fn site_enabled(seed: u64, site: &BuggifySite, sites: f64) -> bool {
    let key = format!("buggify/{seed}/{}:{}:{}", site.file, site.line, site.column);
    // 53 bits of the hash as a uniform number in [0, 1).
    let u = (stable_hash(key.as_bytes()) >> 11) as f64 / (1u64 << 53) as f64;
    u < sites
}

fn fires_in(w: &World, site: &'static BuggifySite, probability: f64) -> bool {
    let mut state = w.buggify.borrow_mut();
    let sites = state.sites;
    let key = site as *const BuggifySite as usize;
    let enabled = *state
        .enabled
        .entry(key)
        .or_insert_with(|| site_enabled(w.seed, site, sites));
    if !enabled {
        return false;
    }
    let fired = state.rng.random::<f64>() < probability;
    drop(state);
    if fired {
        let label = format!("buggify {}:{}", site.file, site.line);
        crate::api::trace_note(&label, u64::from(site.line));
    }
    fired
}

/// `true` now and then at call sites the seed enables (see
/// [`buggify`](mod@crate::buggify) the module): `buggify!()` fires with
/// probability 0.25 at an enabled site, `buggify!(p)` with probability `p`.
/// Always `false` outside a simulation.
///
/// ```
/// let timeout_ms = if sim_core::buggify!(0.1) { 1 } else { 500 };
/// assert_eq!(timeout_ms, 500);
/// ```
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::buggify!($crate::buggify::DEFAULT_FIRE)
    };
    ($probability:expr) => {{
        static SITE: $crate::buggify::BuggifySite = $crate::buggify::BuggifySite {
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
        };
        $crate::buggify::__fires(&SITE, $probability)
    }};
}
