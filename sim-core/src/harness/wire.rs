//! How a child process hands one seed's outcome back to its parent: one JSON
//! object on one line of its standard output, after a marker no test prints.
//!
//! The object carries the run report or the failure (the full [`SimError`],
//! so the parent's message is the one an in-process run would give) and,
//! for the determinism check, the recorded trace.

use std::time::Duration;

use serde_json::{json, Value};
use sim_clock::SimTime;

use super::FailureCause;
use crate::error::{ErrorKind, SimError};
use crate::properties::{PropertyCount, PropertyKind};
use crate::sim::RunReport;
use crate::trace::{TraceEvent, TraceKind};

/// Starts the line that carries a child's outcome.
pub(super) const MARKER: &str = "@@simnet-seed-outcome@@ ";

/// One seed's outcome as a child reports it.
pub(super) type Outcome = Result<(RunReport, Option<Vec<TraceEvent>>), FailureCause>;

/// The line (without newline) a child prints for `outcome`.
pub(super) fn encode(outcome: &Outcome) -> String {
    let value = match outcome {
        Ok((report, trace)) => json!({
            "report": {
                "seed": report.seed,
                "events": report.events,
                "virtual_ns": report.virtual_time.as_nanos(),
                "trace_hash": report.trace_hash,
                "wall_ns": u64::try_from(report.wall.as_nanos()).unwrap_or(u64::MAX),
                "properties": report.properties.iter().map(|(name, c)| {
                    json!([name, c.kind.as_str(), c.evaluations, c.hits])
                }).collect::<Vec<_>>(),
                "faults": report.faults,
            },
            "trace": trace.as_ref().map(|t| t.iter().map(event).collect::<Vec<_>>()),
        }),
        Err(FailureCause::Run(e)) => json!({ "error": error(e) }),
        Err(FailureCause::SetupPanicked(m)) => json!({ "setup_panicked": m }),
        Err(FailureCause::Nondeterministic(d)) => json!({ "child_failed": d.to_string() }),
        Err(FailureCause::ChildFailed(m)) => json!({ "child_failed": m }),
    };
    format!("{MARKER}{value}")
}

/// The line a seed server prints when a seed's process ended without an
/// outcome; `how` says how it ended ("was killed by signal 6").
pub(super) fn encode_died(how: &str) -> String {
    format!("{MARKER}{}", json!({ "died": how }))
}

/// How a seed's process ended, if `line` says it died without an outcome.
pub(super) fn died(line: &str) -> Option<String> {
    let v: Value = serde_json::from_str(line.trim().strip_prefix(MARKER)?).ok()?;
    Some(v.get("died")?.as_str()?.to_string())
}

/// The outcome in a child's standard output, if it printed one.
pub(super) fn decode(stdout: &str) -> Option<Outcome> {
    let line = stdout.lines().rev().find_map(|l| l.strip_prefix(MARKER))?;
    let v: Value = serde_json::from_str(line).ok()?;
    if let Some(r) = v.get("report") {
        let report = RunReport {
            seed: r["seed"].as_u64()?,
            events: r["events"].as_u64()?,
            virtual_time: SimTime::from_nanos(r["virtual_ns"].as_u64()?),
            trace_hash: r["trace_hash"].as_u64()?,
            wall: Duration::from_nanos(r["wall_ns"].as_u64()?),
            properties: r["properties"]
                .as_array()?
                .iter()
                .map(|p| {
                    let count = PropertyCount {
                        kind: PropertyKind::parse(p[1].as_str()?)?,
                        evaluations: p[2].as_u64()?,
                        hits: p[3].as_u64()?,
                    };
                    Some((p[0].as_str()?.to_string(), count))
                })
                .collect::<Option<_>>()?,
            faults: r["faults"]
                .as_object()?
                .iter()
                .map(|(k, n)| Some((k.clone(), n.as_u64()?)))
                .collect::<Option<_>>()?,
        };
        let trace = match v.get("trace") {
            Some(Value::Array(events)) => {
                Some(events.iter().map(to_event).collect::<Option<Vec<_>>>()?)
            }
            _ => None,
        };
        return Some(Ok((report, trace)));
    }
    if let Some(e) = v.get("error") {
        return Some(Err(FailureCause::Run(Box::new(to_error(e)?))));
    }
    if let Some(m) = v.get("setup_panicked") {
        return Some(Err(FailureCause::SetupPanicked(m.as_str()?.to_string())));
    }
    let m = v.get("child_failed")?.as_str()?;
    Some(Err(FailureCause::ChildFailed(m.to_string())))
}

fn event(e: &TraceEvent) -> Value {
    json!([
        e.time.as_nanos(),
        e.kind as u8,
        e.subject,
        e.detail,
        e.subject_name
    ])
}

fn to_event(v: &Value) -> Option<TraceEvent> {
    Some(TraceEvent {
        time: SimTime::from_nanos(v[0].as_u64()?),
        kind: trace_kind(v[1].as_u64()?)?,
        subject: u32::try_from(v[2].as_u64()?).ok()?,
        detail: v[3].as_u64()?,
        subject_name: v[4].as_str()?.to_string(),
    })
}

fn trace_kind(n: u64) -> Option<TraceKind> {
    const KINDS: [TraceKind; 12] = [
        TraceKind::HostStep,
        TraceKind::ActorStep,
        TraceKind::HostStart,
        TraceKind::HostCrash,
        TraceKind::HostStop,
        TraceKind::HostPause,
        TraceKind::HostResume,
        TraceKind::ClockChange,
        TraceKind::ClientDone,
        TraceKind::Note,
        TraceKind::ActorFinish,
        TraceKind::Fault,
    ];
    KINDS.into_iter().find(|k| *k as u64 == n)
}

fn names(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|n| n.as_str().map(str::to_string))
        .collect()
}

fn error(e: &SimError) -> Value {
    let (kind, detail) = match &e.kind {
        ErrorKind::ClientFailed(m) => ("client_failed", json!(m)),
        ErrorKind::ClientPanicked(m) => ("client_panicked", json!(m)),
        ErrorKind::HostFailed(m) => ("host_failed", json!(m)),
        ErrorKind::HostPanicked(m) => ("host_panicked", json!(m)),
        ErrorKind::TimeLimit { limit, waiting } => (
            "time_limit",
            json!({ "limit_ns": limit.as_nanos() as u64, "waiting": waiting }),
        ),
        ErrorKind::WallClockLimit {
            limit,
            waiting,
            busy,
        } => (
            "wall_clock_limit",
            json!({ "limit_ns": limit.as_nanos() as u64, "waiting": waiting, "busy": busy }),
        ),
        ErrorKind::Deadlock { waiting } => ("deadlock", json!({ "waiting": waiting })),
        ErrorKind::Livelock { events, busy } => {
            ("livelock", json!({ "events": events, "busy": busy }))
        }
        ErrorKind::Unsupported { call, advice } => {
            ("unsupported", json!({ "call": call, "advice": advice }))
        }
        ErrorKind::InvalidOperation(m) => ("invalid_operation", json!(m)),
        ErrorKind::Internal(m) => ("internal", json!(m)),
        ErrorKind::PropertyFailed { property, detail } => (
            "property_failed",
            json!({ "property": property, "detail": detail }),
        ),
    };
    json!({
        "seed": e.seed,
        "time_ns": e.time.as_nanos(),
        "host": e.host,
        "kind": kind,
        "detail": detail,
    })
}

fn to_error(v: &Value) -> Option<SimError> {
    let d = &v["detail"];
    let text = || d.as_str().map(str::to_string);
    let limit = || Some(Duration::from_nanos(d["limit_ns"].as_u64()?));
    let kind = match v["kind"].as_str()? {
        "client_failed" => ErrorKind::ClientFailed(text()?),
        "client_panicked" => ErrorKind::ClientPanicked(text()?),
        "host_failed" => ErrorKind::HostFailed(text()?),
        "host_panicked" => ErrorKind::HostPanicked(text()?),
        "time_limit" => ErrorKind::TimeLimit {
            limit: limit()?,
            waiting: names(&d["waiting"])?,
        },
        "wall_clock_limit" => ErrorKind::WallClockLimit {
            limit: limit()?,
            waiting: names(&d["waiting"])?,
            busy: names(&d["busy"])?,
        },
        "deadlock" => ErrorKind::Deadlock {
            waiting: names(&d["waiting"])?,
        },
        "livelock" => ErrorKind::Livelock {
            events: d["events"].as_u64()?,
            busy: names(&d["busy"])?,
        },
        "unsupported" => ErrorKind::Unsupported {
            call: d["call"].as_str()?.to_string(),
            advice: d["advice"].as_str()?.to_string(),
        },
        "invalid_operation" => ErrorKind::InvalidOperation(text()?),
        "internal" => ErrorKind::Internal(text()?),
        "property_failed" => ErrorKind::PropertyFailed {
            property: d["property"].as_str()?.to_string(),
            detail: d["detail"].as_str()?.to_string(),
        },
        _ => return None,
    };
    Some(SimError {
        seed: v["seed"].as_u64()?,
        time: SimTime::from_nanos(v["time_ns"].as_u64()?),
        host: v["host"].as_str().map(str::to_string),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(outcome: Outcome) -> Outcome {
        let line = encode(&outcome);
        decode(&format!("user output\n{line}\nmore user output\n")).expect("decodes")
    }

    #[test]
    fn every_error_kind_survives_the_trip() {
        let kinds = [
            ErrorKind::ClientFailed("no".into()),
            ErrorKind::ClientPanicked("boom".into()),
            ErrorKind::HostFailed("no".into()),
            ErrorKind::HostPanicked("boom".into()),
            ErrorKind::TimeLimit {
                limit: Duration::from_secs(3),
                waiting: vec!["c".into()],
            },
            ErrorKind::WallClockLimit {
                limit: Duration::from_millis(7),
                waiting: vec![],
                busy: vec!["spinner".into()],
            },
            ErrorKind::Deadlock {
                waiting: vec!["a".into(), "b".into()],
            },
            ErrorKind::Livelock {
                events: 9,
                busy: vec!["x".into()],
            },
            ErrorKind::Unsupported {
                call: "sleep".into(),
                advice: "use tokio::time::sleep".into(),
            },
            ErrorKind::InvalidOperation("dup".into()),
            ErrorKind::Internal("os".into()),
            ErrorKind::PropertyFailed {
                property: "no lost write".into(),
                detail: "at src/kv.rs:3".into(),
            },
        ];
        for kind in kinds {
            let e = SimError {
                seed: u64::MAX,
                time: SimTime::from_nanos(12_345),
                host: Some("h\n\"quoted\"".into()),
                kind,
            };
            match round_trip(Err(FailureCause::Run(Box::new(e.clone())))) {
                Err(FailureCause::Run(back)) => assert_eq!(*back, e),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_report_and_its_trace_survive_the_trip() {
        let report = RunReport {
            seed: 3,
            events: 2,
            virtual_time: SimTime::from_nanos(u64::MAX - 1),
            trace_hash: u64::MAX,
            wall: Duration::from_micros(5),
            properties: [(
                "a \"quoted\" name".to_string(),
                PropertyCount {
                    kind: PropertyKind::Sometimes,
                    evaluations: 7,
                    hits: u64::MAX,
                },
            )]
            .into(),
            faults: [("crash".to_string(), 3), ("partition".to_string(), 1)].into(),
        };
        let events: Vec<TraceEvent> = (1..=12u64)
            .map(|k| TraceEvent {
                time: SimTime::from_nanos(k),
                kind: trace_kind(k).unwrap(),
                subject: k as u32,
                subject_name: format!("host-{k}"),
                detail: u64::MAX - k,
            })
            .collect();
        match round_trip(Ok((report.clone(), Some(events.clone())))) {
            Ok((r, Some(t))) => assert_eq!((r, t), (report, events)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn output_without_the_marker_has_no_outcome() {
        assert!(decode("running 1 test\nthread panicked\n").is_none());
    }
}
