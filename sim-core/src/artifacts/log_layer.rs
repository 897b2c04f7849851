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
/// Why one, kept for the life of the process: `tracing` caches, per call
/// site, whether any live dispatcher wants its events, and a dispatcher
/// made and dropped per run races with call sites registered on other
/// threads (a parallel sweep's seeds, other tests): a cache computed from a
/// snapshot in which the recording's dispatcher was missing, or already
/// gone, silences that call site for the recording, and the log line never
/// reaches the journal. A dispatcher that never goes away is in every
/// snapshot taken after it was made; [`recording_dispatch`] also rebuilds
/// the cache each time a recording starts, which repairs what a snapshot
/// older than it may have cached.
pub(crate) fn recording_dispatch() -> Dispatch {
    static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
    let dispatch = DISPATCH.get_or_init(|| Dispatch::new(subscriber())).clone();
    tracing::callsite::rebuild_interest_cache();
    dispatch
}
