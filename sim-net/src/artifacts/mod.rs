//! The network's part of a run's artifacts: the packets in the journal as
//! they happen, the faults injected through [`Net`](crate::Net), and two
//! capture files written at the end.
//!
//! | file | what it holds |
//! |---|---|
//! | `packets.pcapng` | every packet handed to the network, at its send time, with real IP and TCP/UDP/ICMP headers; each packet's comment says what became of it (delivered when, or dropped when and why) |
//! | `dropped.pcapng` | the packets that were dropped, at the time and with the reason of the drop |
//!
//! Both keep the last [`RecordOptions::max_packets`](sim_core::RecordOptions)
//! packets, and their section comment says how many were let go.
//! Recording is on when the simulation records
//! ([`Sim::record_artifacts`](sim_core::Sim::record_artifacts)) at the time
//! the network is installed.

mod faults;
mod pcapng;
pub(crate) mod wire;

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::{json, Value};
use sim_core::{ArtifactSource, Sim, SimTime};

use crate::model::capture::{Event, Fate, Observed};
use crate::model::packet::Body;
use crate::model::DropReason;
use crate::state::NetState;

pub(crate) use faults::{Band, FaultLog};

/// The name of a drop reason in the journal and the capture comments.
pub(crate) fn reason_name(reason: DropReason) -> &'static str {
    match reason {
        DropReason::Loss => "loss",
        DropReason::Partition => "partition",
        DropReason::QueueFull => "queue-full",
        DropReason::BufferOverflow => "buffer-overflow",
        DropReason::NodeDown => "node-down",
        DropReason::NoSocket => "no-socket",
        DropReason::Mtu => "mtu",
        DropReason::BacklogFull => "backlog-full",
        DropReason::NoRoute => "no-route",
    }
}

/// Starts the capture if `sim` records, and registers the capture files
/// among its artifacts.
pub(crate) fn start(state: &Rc<NetState>, sim: &mut Sim) {
    let Some(options) = sim_core::journal::options() else {
        return;
    };
    state
        .model
        .borrow_mut()
        .start_capture(options.max_packets, Some(Box::new(journal_packet)));
    sim.add_artifact_source(Rc::new(CaptureFiles {
        state: state.clone(),
    }));
}

/// Adds a capture event to the journal.
fn journal_packet(o: &Observed<'_>) {
    let time = SimTime::from_nanos(o.time);
    let (kind, host, mut fields) = match o.event {
        Event::Sent => ("packet-sent", o.from, json!({})),
        Event::Fate(Fate::Delivered) => ("packet-delivered", o.to, json!({})),
        Event::Fate(Fate::Dropped(r)) => {
            ("packet-dropped", o.to, json!({ "reason": reason_name(r) }))
        }
    };
    if let Value::Object(map) = &mut fields {
        map.insert("msg".into(), o.id.into());
        map.insert("from".into(), o.from.into());
        map.insert("to".into(), o.to.into());
        if let Some(p) = o.packet {
            map.insert("proto".into(), wire::proto(p).into());
            if matches!(o.event, Event::Sent) {
                map.insert("src".into(), p.src.to_string().into());
                map.insert("dst".into(), p.dst.to_string().into());
                map.insert("len".into(), p.wire_size().into());
                if let Body::Tcp(seg) = &p.body {
                    map.insert("flags".into(), wire::tcp_flags(seg).into());
                    map.insert("seq".into(), (seg.seq as u32).into());
                    map.insert("ack".into(), (seg.ack as u32).into());
                    map.insert("win".into(), seg.window.into());
                    map.insert("data_len".into(), seg.data.len().into());
                }
            }
            map.insert("summary".into(), wire::summary(p).into());
        }
    }
    let host = (!host.is_empty()).then_some(host);
    sim_core::journal::record_at(time, kind, host, fields);
}

/// Writes `packets.pcapng` and `dropped.pcapng`.
struct CaptureFiles {
    state: Rc<NetState>,
}

fn at(ns: u64) -> String {
    SimTime::from_nanos(ns).to_string()
}

impl ArtifactSource for CaptureFiles {
    fn write_artifacts(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let model = self.state.model.borrow();
        let Some(capture) = model.capture() else {
            return Ok(Vec::new());
        };
        let name = |n: crate::model::NodeId| model.node_name(n).unwrap_or("?").to_string();
        let mut encoder = wire::Encoder::new(model.config().tcp.mss);
        let mut sent = Vec::new();
        let mut dropped = Vec::new();
        for c in capture.packets() {
            let bytes = encoder.encode(&c.packet);
            let (from, to) = (name(c.packet.from_node), name(c.packet.to_node));
            let mut fates = Vec::new();
            for &(t, fate) in &c.fates {
                match fate {
                    Fate::Delivered => fates.push(format!("delivered to {to} at {}", at(t))),
                    Fate::Dropped(r) => {
                        let reason = reason_name(r);
                        fates.push(format!("dropped at {} ({reason})", at(t)));
                        dropped.push((
                            t,
                            c.id,
                            bytes.clone(),
                            format!(
                                "#{} {from} -> {to}, sent at {}: dropped ({reason})",
                                c.id,
                                at(c.sent_at)
                            ),
                        ));
                    }
                }
            }
            if fates.is_empty() {
                fates.push("still in flight (or held) when the run ended".to_string());
            }
            let comment = format!("#{} {from} -> {to}: {}", c.id, fates.join(", then "));
            sent.push((c.sent_at, bytes, comment));
        }
        // Drops in the order they happened (a packet sent earlier may be
        // dropped later than one sent after it).
        dropped.sort_by_key(|&(t, id, _, _)| (t, id));
        let kept = capture.packets().count();
        let about = format!(
            "simnet capture, seed {}: {} packets sent; {}",
            model.seed,
            capture.sent(),
            if capture.evicted() > 0 {
                format!(
                    "only the last {kept} are kept (limit {}); {} earlier ones were let go",
                    capture.limit(),
                    capture.evicted()
                )
            } else {
                "every packet is kept".to_string()
            }
        );
        let records: Vec<pcapng::Record<'_>> = sent
            .iter()
            .map(|(t, data, comment)| pcapng::Record {
                time: *t,
                data,
                comment: comment.clone(),
            })
            .collect();
        let packets = dir.join("packets.pcapng");
        pcapng::write(&packets, &about, "simnet", &records)?;
        let records: Vec<pcapng::Record<'_>> = dropped
            .iter()
            .map(|(t, _, data, comment)| pcapng::Record {
                time: *t,
                data,
                comment: comment.clone(),
            })
            .collect();
        let drops = dir.join("dropped.pcapng");
        pcapng::write(
            &drops,
            &format!("{about}; this file: the dropped ones"),
            "simnet-drops",
            &records,
        )?;
        Ok(vec![packets, drops])
    }
}
