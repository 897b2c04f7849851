//! What a run leaves behind for a person to read: `trace.jsonl`,
//! `timeline.html`, and whatever the installed extensions add (the network
//! adds `packets.pcapng` and `dropped.pcapng`).
//!
//! A run records only when asked: [`Sim::record_artifacts`] starts the
//! [journal](crate::journal) (the harness does it for `SIM_ARTIFACTS=1`, and
//! for the second run of a failed seed), and [`Sim::write_artifacts`] writes
//! the files once the run has ended. Recording changes nothing about the run
//! itself: the same seed gives the same trace hash with it on or off, and
//! writes byte-identical files in any process.
//!
//! | file | what it holds |
//! |---|---|
//! | `trace.jsonl` | a header line (seed, hosts, how many entries were kept and let go), then one JSON object per journal entry |
//! | `timeline.html` | one self-contained page: a lane per host, packets as arrows, faults and downtime as bands, log lines and the failure marked |
//!
//! ```
//! use sim_core::{Builder, RecordOptions};
//!
//! let dir = std::env::temp_dir().join(format!("simnet-doc-{}", std::process::id()));
//! let d = dir.clone();
//! std::thread::spawn(move || {
//!     let mut sim = Builder::new().seed(3).build();
//!     sim.record_artifacts(RecordOptions::default());
//!     sim.client("c", async { Ok(()) });
//!     sim.run().unwrap();
//!     let files = sim.write_artifacts(&d).unwrap();
//!     assert!(files.iter().any(|f| f.ends_with("trace.jsonl")));
//!     assert!(files.iter().any(|f| f.ends_with("timeline.html")));
//! })
//! .join()
//! .unwrap();
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

pub(crate) mod harness;
mod location;
mod log_layer;
mod timeline;

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::json;

use crate::journal::{Journal, RecordOptions};
use crate::sim::Sim;

pub use harness::ArtifactPolicy;
pub(crate) use harness::Settings;
pub use location::default_dir;
pub use log_layer::{subscriber as log_subscriber, JournalLayer};

/// A part of the simulation that writes files of its own among a run's
/// artifacts (the network writes its packet captures). Register it with
/// [`Sim::add_artifact_source`].
pub trait ArtifactSource {
    /// Writes this source's files into `dir`, which exists, and returns
    /// their paths.
    fn write_artifacts(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
}

impl Sim {
    /// Starts recording the journal that the artifacts are written from.
    /// Call it before installing extensions (the network captures packets
    /// only if recording was on when it was installed); a second call keeps
    /// the first journal.
    pub fn record_artifacts(&mut self, options: RecordOptions) {
        let mut trace = self.world.trace.borrow_mut();
        if trace.journal().is_none() {
            trace.start_journal(Journal::new(options));
        }
    }

    /// Whether this simulation records a journal.
    pub fn is_recording(&self) -> bool {
        self.world.trace.borrow().journal().is_some()
    }

    /// Adds a writer of more artifact files (see [`ArtifactSource`]).
    pub fn add_artifact_source(&mut self, source: Rc<dyn ArtifactSource>) {
        self.world.artifact_sources.borrow_mut().push(source);
    }

    /// The lines of `trace.jsonl` as they would be written now (header
    /// first), or `None` if the simulation does not record.
    pub fn journal_lines(&self) -> Option<Vec<String>> {
        let hosts: Vec<String> = self.world.host_names.borrow().clone();
        let trace = self.world.trace.borrow();
        let journal = trace.journal()?;
        let mut lines = vec![self.journal_header(journal, &hosts)];
        lines.extend(journal.lines(&hosts, true));
        Some(lines)
    }

    fn journal_header(&self, journal: &Journal, hosts: &[String]) -> String {
        let options = journal.options();
        let kept = journal.recorded() - journal.evicted();
        let header = json!({
            "kind": "journal",
            "format": 1,
            "seed": self.world.seed,
            "hosts": hosts,
            "virtual_end_ns": self.now().as_nanos(),
            "entries_recorded": journal.recorded(),
            "entries_kept": kept,
            "entries_evicted": journal.evicted(),
            "max_events": options.max_events,
            "note": if journal.evicted() > 0 {
                format!("only the last {kept} entries are kept; {} earlier ones were let go", journal.evicted())
            } else {
                "every entry is kept".to_string()
            },
        });
        header.to_string()
    }

    /// Writes the artifacts of the run into `dir` (created if needed):
    /// `trace.jsonl`, `timeline.html`, and the files of every
    /// [`ArtifactSource`]. A failed run's failure is marked in both. Returns
    /// the paths written; an error names the file it could not write.
    pub fn write_artifacts(&mut self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        if !self.is_recording() {
            return Err(io::Error::other(format!(
                "seed {}: no artifacts to write to {}: the run did not record \
                 (call Sim::record_artifacts before the run)",
                self.world.seed,
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| in_file(dir, e))?;
        self.mark_failure();
        let hosts: Vec<String> = self.world.host_names.borrow().clone();
        let mut written = Vec::new();
        let (jsonl, timeline_lines, header) = {
            let trace = self.world.trace.borrow();
            let journal = trace.journal().expect("checked above");
            let header = self.journal_header(journal, &hosts);
            let mut text = String::new();
            text.push_str(&header);
            text.push('\n');
            for line in journal.lines(&hosts, true) {
                text.push_str(&line);
                text.push('\n');
            }
            (text, journal.lines(&hosts, false), header)
        };
        let path = dir.join("trace.jsonl");
        std::fs::write(&path, jsonl).map_err(|e| in_file(&path, e))?;
        written.push(path);
        let sources: Vec<Rc<dyn ArtifactSource>> = self.world.artifact_sources.borrow().clone();
        for source in sources {
            written.extend(source.write_artifacts(dir)?);
        }
        let page = timeline::page(&header, &timeline_lines);
        let path = dir.join("timeline.html");
        std::fs::write(&path, page).map_err(|e| in_file(&path, e))?;
        written.push(path);
        Ok(written)
    }

    /// Adds the run's failure to the journal, once.
    fn mark_failure(&mut self) {
        let Some(e) = self.failure.clone() else {
            return;
        };
        let mut trace = self.world.trace.borrow_mut();
        let Some(journal) = trace.journal_mut() else {
            return;
        };
        if journal.has_failure() {
            return;
        }
        let fields = json!({ "message": e.to_string() });
        let serde_json::Value::Object(fields) = fields else {
            return;
        };
        journal.push_record(e.time, "failure", e.host.as_deref(), fields);
    }
}

/// An I/O error that names the path it concerns.
fn in_file(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
