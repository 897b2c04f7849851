//! The journal of a run: everything that happened, in the order the
//! simulator processed it, kept so that a failed seed can explain itself.
//!
//! The [event trace](crate::trace) of every run is reduced to a hash. With
//! recording on ([`Sim::record_artifacts`](crate::Sim::record_artifacts), or
//! the harness's `SIM_ARTIFACTS=1`), the journal also keeps each scheduler
//! event, lifecycle change and note, and whatever other parts of the
//! simulator add through [`record`]: the network's packets sent, delivered
//! and dropped, the faults it injects, and log lines. The artifacts of a run
//! (`trace.jsonl`, `timeline.html`, see [`crate::artifacts`]) are written
//! from it.
//!
//! The journal is bounded: it keeps the last
//! [`RecordOptions::max_events`] entries and counts the ones it let go, and
//! the files say so. Recording never draws a random number and never
//! touches the trace hash, so a run replays the same with it on or off.
//!
//! Entries are plain JSON objects. A few kinds have a meaning the timeline
//! understands; any code may add its own kinds.
//!
//! | kind | fields |
//! |---|---|
//! | `host-step`, `actor-step`, ... | a scheduler event (see [`TraceKind`]): `detail` |
//! | `host-start`, `host-crash`, `host-stop`, `host-pause`, `host-resume` | a lifecycle change of `host` |
//! | `packet-sent` | `msg` (an id), `from` and `to` hosts, `proto`, `src`, `dst`, `len`, `summary` |
//! | `packet-delivered`, `packet-dropped` | `msg`, `from`, `to`; a drop also has `reason` |
//! | `fault` | `op`, `summary`, `hosts` (the hosts it concerns); `band` and `band_edge` (`begin` / `end`) for a fault that lasts |
//! | `log` | `level`, `target`, `message` |
//! | `failure` | `message`: why the run failed |
//!
//! ```
//! use sim_core::{journal, Builder, RecordOptions};
//!
//! std::thread::spawn(|| {
//!     let mut sim = Builder::new().build();
//!     sim.record_artifacts(RecordOptions::default());
//!     sim.client("c", async {
//!         journal::record("fault", Some("c"), serde_json::json!({"op": "demo"}));
//!         Ok(())
//!     });
//!     sim.run().unwrap();
//!     let lines = sim.journal_lines().unwrap();
//!     assert!(lines.iter().any(|l| l.contains(r#""kind":"fault""#)));
//! })
//! .join()
//! .unwrap();
//! ```

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{Map, Value};
use sim_clock::SimTime;

use crate::trace::TraceKind;
use crate::world;

/// How much a recording run keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordOptions {
    /// Journal entries kept (the last ones): `trace.jsonl` and the timeline.
    pub max_events: usize,
    /// Packets kept (the last ones): `packets.pcapng`.
    pub max_packets: usize,
}

impl Default for RecordOptions {
    /// 200,000 events and 50,000 packets: tens of megabytes at most.
    fn default() -> Self {
        RecordOptions {
            max_events: 200_000,
            max_packets: 50_000,
        }
    }
}

/// What an entry holds: a scheduler event (named when written) or a record
/// added by other code.
#[derive(Debug)]
enum Body {
    Trace {
        kind: TraceKind,
        subject: u32,
        name: String,
        detail: u64,
    },
    Record {
        kind: String,
        host: Option<String>,
        fields: Map<String, Value>,
    },
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    time: SimTime,
    body: Body,
}

/// The bounded list of entries.
#[derive(Debug)]
pub(crate) struct Journal {
    options: RecordOptions,
    entries: VecDeque<Entry>,
    next_seq: u64,
    failure_marked: bool,
}

/// One line of `trace.jsonl`.
#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    t_ns: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    kind: &'a str,
    #[serde(flatten)]
    fields: &'a Map<String, Value>,
}

impl Journal {
    pub(crate) fn new(options: RecordOptions) -> Journal {
        Journal {
            options,
            entries: VecDeque::new(),
            next_seq: 0,
            failure_marked: false,
        }
    }

    pub(crate) fn options(&self) -> RecordOptions {
        self.options
    }

    fn push(&mut self, time: SimTime, body: Body) {
        if self.options.max_events == 0 {
            self.next_seq += 1;
            return;
        }
        if self.entries.len() >= self.options.max_events {
            self.entries.pop_front();
        }
        self.entries.push_back(Entry {
            seq: self.next_seq,
            time,
            body,
        });
        self.next_seq += 1;
    }

    pub(crate) fn push_trace(
        &mut self,
        time: SimTime,
        kind: TraceKind,
        subject: u32,
        name: &str,
        detail: u64,
    ) {
        let name = name.to_string();
        self.push(
            time,
            Body::Trace {
                kind,
                subject,
                name,
                detail,
            },
        );
    }

    pub(crate) fn push_record(
        &mut self,
        time: SimTime,
        kind: &str,
        host: Option<&str>,
        fields: Map<String, Value>,
    ) {
        self.failure_marked |= kind == "failure";
        let body = Body::Record {
            kind: kind.to_string(),
            host: host.map(str::to_string),
            fields,
        };
        self.push(time, body);
    }

    /// Whether a `failure` entry was recorded.
    pub(crate) fn has_failure(&self) -> bool {
        self.failure_marked
    }

    /// Entries recorded in all, kept or not.
    pub(crate) fn recorded(&self) -> u64 {
        self.next_seq
    }

    /// Entries let go to stay within the limit.
    pub(crate) fn evicted(&self) -> u64 {
        self.next_seq - self.entries.len() as u64
    }

    /// Every kept entry as one JSON line (without newline), oldest first;
    /// without host and actor steps unless `steps`. `host_names[i]` names
    /// host `i` for notes made inside a host.
    pub(crate) fn lines(&self, host_names: &[String], steps: bool) -> Vec<String> {
        let mut out = Vec::with_capacity(self.entries.len());
        let mut scratch = Map::new();
        for e in &self.entries {
            if !steps
                && matches!(
                    e.body,
                    Body::Trace {
                        kind: TraceKind::HostStep | TraceKind::ActorStep | TraceKind::ActorFinish,
                        ..
                    }
                )
            {
                continue;
            }
            let (kind, host, fields): (String, Option<&str>, &Map<String, Value>) = match &e.body {
                Body::Trace {
                    kind,
                    subject,
                    name,
                    detail,
                } => {
                    scratch.clear();
                    scratch.insert("detail".into(), Value::from(*detail));
                    let host = match kind {
                        TraceKind::ActorStep | TraceKind::ActorFinish => {
                            scratch.insert("actor".into(), Value::from(name.as_str()));
                            None
                        }
                        TraceKind::Note => {
                            scratch.insert("label".into(), Value::from(name.as_str()));
                            host_names.get(*subject as usize).map(String::as_str)
                        }
                        _ => Some(name.as_str()),
                    };
                    (kind.to_string(), host, &scratch)
                }
                Body::Record { kind, host, fields } => (kind.clone(), host.as_deref(), fields),
            };
            let line = Line {
                seq: e.seq,
                t_ns: e.time.as_nanos(),
                host,
                kind: &kind,
                fields,
            };
            // Serializing strings, numbers and maps cannot fail.
            out.push(serde_json::to_string(&line).unwrap_or_default());
        }
        out
    }
}

/// Whether the simulation on this thread records a journal.
pub fn is_recording() -> bool {
    options().is_some()
}

/// The recording options of the simulation on this thread, if it records.
pub fn options() -> Option<RecordOptions> {
    world::with_current(|w| {
        w.trace
            .try_borrow()
            .ok()
            .and_then(|t| t.journal().map(Journal::options))
    })
    .flatten()
}

/// Adds an entry of `kind` at the current virtual time, about `host`
/// (`None`: the test or the simulation itself). `fields` should be a JSON
/// object; anything else is kept under the key `value`. Does nothing when
/// the simulation does not record (or outside a simulation).
pub fn record(kind: &str, host: Option<&str>, fields: Value) {
    world::with_current(|w| {
        let now = w.now.get();
        push(w, now, kind, host, fields);
    });
}

/// Like [`record`], at virtual time `time` (for model code that runs an
/// event due slightly before the scheduler's instant).
pub fn record_at(time: SimTime, kind: &str, host: Option<&str>, fields: Value) {
    world::with_current(|w| push(w, time, kind, host, fields));
}

fn push(w: &world::World, time: SimTime, kind: &str, host: Option<&str>, fields: Value) {
    let Ok(mut trace) = w.trace.try_borrow_mut() else {
        return;
    };
    if let Some(j) = trace.journal_mut() {
        let fields = match fields {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => Map::from_iter([("value".to_string(), other)]),
        };
        j.push_record(time, kind, host, fields);
    }
}

/// The name of the host whose code runs now, if any (for [`record`]).
pub fn current_host_name() -> Option<String> {
    world::with_current(|w| w.current_host.get().map(|h| w.host_name(h))).flatten()
}
