//! Log lines into the journal: a `tracing` layer that records every event
//! with its level, target and fields, stamped with virtual time and host.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
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
