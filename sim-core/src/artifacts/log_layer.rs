//! Log lines into the journal: a `tracing` layer that records every event
//! with its level, target and fields, stamped with virtual time and host.

use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

use crate::journal;

/// A `tracing` layer that adds each event to the journal of the simulation
/// running on its thread (as a `log` entry), if that simulation records.
#[derive(Clone, Copy, Debug, Default)]
pub struct JournalLayer;

impl<S> Layer<S> for JournalLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = FieldMap(Map::new());
        event.record(&mut fields);
        let mut map = fields.0;
        let message = map.remove("message").unwrap_or(Value::from(""));
        map.insert("level".into(), Value::from(meta.level().as_str()));
        map.insert("target".into(), Value::from(meta.target()));
        map.insert("message".into(), message);
        let host = journal::current_host_name();
        journal::record("log", host.as_deref(), Value::Object(map));
    }
}

struct FieldMap(Map<String, Value>);

impl Visit for FieldMap {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_string(), Value::from(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }
}

/// The subscriber a recording run uses on its thread: the journal layer
/// (level from `SIM_ARTIFACTS_LOG`, default `info`) beside the usual
/// [`crate::logging::layer`] output (level from `RUST_LOG`, default `warn`).
pub fn subscriber() -> impl Subscriber + Send + Sync {
    let level = std::env::var("SIM_ARTIFACTS_LOG").unwrap_or_else(|_| "info".to_string());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(crate::logging::layer())
        .with(JournalLayer.with_filter(filter))
}

/// The one dispatcher every recording thread of the process installs as its
/// default, made from [`subscriber`] when the first recording starts (so
/// `SIM_ARTIFACTS_LOG` and `RUST_LOG` are read then).
///
/// `tracing` caches, per call site, whether any dispatcher wants its
/// events, and two of its rules make a dispatcher made per run lose log
/// lines when other threads run beside it (a parallel sweep's seeds, other
/// tests):
/// - while exactly one dispatcher is registered, the cache is computed from
///   whatever dispatcher is the default *of the thread that computes it*:
///   a call site first reached on a thread that does not record, or a
///   cache rebuilt there, is cached as unwanted, for the recording too;
/// - a cache computed from a snapshot in which the recording's dispatcher
///   was missing, or already dropped, silences the call site.
///
/// So two dispatchers are made once and kept for the life of the process:
/// this one and an inert one (`NoSubscriber`), which keeps `tracing` on
/// its list of dispatchers, the same from every thread; and the cache is
/// rebuilt each time a recording starts, which repairs what a snapshot
/// older than them may have cached.
pub(crate) fn recording_dispatch() -> Dispatch {
    static DISPATCHES: OnceLock<(Dispatch, Dispatch)> = OnceLock::new();
    let (recording, _inert) = DISPATCHES.get_or_init(|| {
        (
            Dispatch::new(subscriber()),
            Dispatch::new(tracing::subscriber::NoSubscriber::default()),
        )
    });
    tracing::callsite::rebuild_interest_cache();
    recording.clone()
}
