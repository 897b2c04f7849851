//! Faults in the journal: each change to links, partitions and holds made
//! through [`Net`](crate::Net) (by the test, by a host, or by a schedule
//! such as [`Swizzle`](crate::Swizzle)), as a `fault` entry when it lands.
//!
//! A fault that lasts (a partition, a hold) opens a *band* that the change
//! undoing it closes, so the timeline can draw it as a span. Healing a node
//! or everything closes each open band it covers, each with its own `end`
//! entry.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{json, Value};

/// What a fault does to the bands.
pub(crate) enum Band<'a> {
    /// Nothing: an instant change (a link's settings).
    None,
    /// Opens the band `kind:key`.
    Begin(&'static str, String),
    /// Closes the open bands of `kind` that `covers` accepts (given their
    /// hosts).
    End(&'static str, &'a dyn Fn(&[String]) -> bool),
}

/// The open bands: `kind:key` to the hosts they concern.
#[derive(Default)]
pub(crate) struct FaultLog {
    open: RefCell<BTreeMap<String, Vec<String>>>,
}

impl FaultLog {
    /// Adds a fault to the journal, if the simulation records.
    pub(crate) fn note(&self, op: &str, hosts: &[&str], summary: String, band: Band<'_>) {
        if !sim_core::journal::is_recording() {
            return;
        }
        let by = sim_core::journal::current_host_name();
        let host = by.clone();
        let by = by.unwrap_or_else(|| "test".to_string());
        let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
        let entry = |summary: &str, band: Option<(&str, &str)>, hosts: &[String]| {
            let mut v = json!({ "op": op, "by": by, "hosts": hosts, "summary": summary });
            if let (Some((name, edge)), Value::Object(m)) = (band, &mut v) {
                m.insert("band".into(), name.into());
                m.insert("band_edge".into(), edge.into());
            }
            sim_core::journal::record("fault", host.as_deref(), v);
        };
        match band {
            Band::None => entry(&summary, None, &hosts),
            Band::Begin(kind, key) => {
                let name = format!("{kind}:{key}");
                self.open.borrow_mut().insert(name.clone(), hosts.clone());
                entry(&summary, Some((&name, "begin")), &hosts);
            }
            Band::End(kind, covers) => {
                let prefix = format!("{kind}:");
                let closed: Vec<(String, Vec<String>)> = {
                    let mut open = self.open.borrow_mut();
                    let names: Vec<String> = open
                        .iter()
                        .filter(|(n, h)| n.starts_with(&prefix) && covers(h))
                        .map(|(n, _)| n.clone())
                        .collect();
                    names
                        .into_iter()
                        .filter_map(|n| open.remove(&n).map(|h| (n, h)))
                        .collect()
                };
                if closed.is_empty() {
                    entry(&summary, None, &hosts);
                }
                for (name, band_hosts) in closed {
                    entry(&summary, Some((&name, "end")), &band_hosts);
                }
            }
        }
    }
}

impl crate::state::NetState {
    /// Adds a socket-level fault (`set_read_error` and its kin) to the
    /// journal, if the simulation records.
    pub(crate) fn note_socket_fault(
        &self,
        op: &str,
        socket: crate::model::SocketId,
        err: &Option<crate::model::InjectedError>,
    ) {
        if !sim_core::journal::is_recording() {
            return;
        }
        let local = self.model.borrow().local_addr(socket).ok();
        let what = match err {
            Some(e) => format!("{e:?}"),
            None => "cleared".to_string(),
        };
        let at = local.map_or_else(|| socket.to_string(), |a| a.to_string());
        let host = sim_core::journal::current_host_name();
        let hosts: Vec<&str> = host.as_deref().into_iter().collect();
        self.faults
            .note(op, &hosts, format!("{op} on {at}: {what}"), Band::None);
    }
}
