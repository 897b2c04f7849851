//! The event trace of a run: what ran, when, and what came of it.
//!
//! Every event the scheduler dispatches is folded into a running hash
//! ([`Trace::hash`]), identical for the same binary and seed in any process.
//! With recording on, the events are also kept so that two runs of one seed
//! can be compared event by event ([`first_divergence`]). With a
//! [journal](crate::journal), each event is kept there too, for the
//! artifacts of the run; neither list changes the hash.

use std::fmt;

use sim_clock::SimTime;

use crate::journal::Journal;

/// What kind of thing happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TraceKind {
    /// A host ran until idle (detail: its next timer in ms, `u64::MAX` for
    /// none, `u64::MAX - 1` for busy).
    HostStep = 1,
    /// An actor (switch, link, socket buffer) was stepped.
    ActorStep = 2,
    /// A host started (detail: incarnation number).
    HostStart = 3,
    /// A host's machine crashed.
    HostCrash = 4,
    /// A host's process was killed or exited.
    HostStop = 5,
    /// A host was paused.
    HostPause = 6,
    /// A host was resumed.
    HostResume = 7,
    /// A host's realtime clock changed (detail: new offset, ns, as u64).
    ClockChange = 8,
    /// A client finished successfully.
    ClientDone = 9,
    /// A note added by model or user code (detail: its hash).
    Note = 10,
    /// An actor finished an instant: it ran the work it held back until
    /// everything else due at that instant had run (see
    /// [`Actor::end_of_instant`](crate::Actor::end_of_instant)).
    ActorFinish = 11,
    /// The fault schedule injected a fault (detail: the kind's index in
    /// [`FaultKind::ALL`](crate::nemesis::FaultKind::ALL)) or undid one
    /// (the same, plus `1 << 32`); the subject name is the log line.
    Fault = 12,
}

impl fmt::Display for TraceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            TraceKind::HostStep => "host-step",
            TraceKind::ActorStep => "actor-step",
            TraceKind::HostStart => "host-start",
            TraceKind::HostCrash => "host-crash",
            TraceKind::HostStop => "host-stop",
            TraceKind::HostPause => "host-pause",
            TraceKind::HostResume => "host-resume",
            TraceKind::ClockChange => "clock-change",
            TraceKind::ClientDone => "client-done",
            TraceKind::Note => "note",
            TraceKind::ActorFinish => "actor-finish",
            TraceKind::Fault => "fault",
        };
        f.write_str(s)
    }
}

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// When it happened.
    pub time: SimTime,
    /// What happened.
    pub kind: TraceKind,
    /// The host or actor it happened to (`u32::MAX`: the simulation itself).
    pub subject: u32,
    /// Who the subject is, by name.
    pub subject_name: String,
    /// A kind-specific outcome (see [`TraceKind`]).
    pub detail: u64,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {} {} of `{}` (detail {:#x})",
            self.time, self.kind, self.subject_name, self.detail
        )
    }
}

/// The running hash and, optionally, the list of events.
#[derive(Debug)]
pub struct Trace {
    hash: u64,
    count: u64,
    /// Whether `events` or `journal` is on: one branch on the hot path.
    keeping: bool,
    events: Option<Vec<TraceEvent>>,
    journal: Option<Journal>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Trace {
    pub(crate) fn new(record: bool) -> Trace {
        Trace {
            hash: FNV_OFFSET,
            count: 0,
            keeping: record,
            events: record.then(Vec::new),
            journal: None,
        }
    }

    /// Starts keeping a journal (see [`crate::journal`]).
    pub(crate) fn start_journal(&mut self, journal: Journal) {
        self.journal = Some(journal);
        self.keeping = true;
    }

    pub(crate) fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    pub(crate) fn journal_mut(&mut self) -> Option<&mut Journal> {
        self.journal.as_mut()
    }

    #[inline]
    pub(crate) fn record(
        &mut self,
        time: SimTime,
        kind: TraceKind,
        subject: u32,
        detail: u64,
        name: &str,
    ) {
        // FNV-1a over 64-bit words: stable across processes and versions,
        // and four multiplications per event on the hot path.
        for word in [time.as_nanos(), kind as u64, subject as u64, detail] {
            self.hash = (self.hash ^ word).wrapping_mul(FNV_PRIME);
        }
        self.count += 1;
        if self.keeping {
            self.keep(time, kind, subject, detail, name);
        }
    }

    /// Keeps an event in the list and the journal (recording on: off the
    /// hot path).
    #[cold]
    fn keep(&mut self, time: SimTime, kind: TraceKind, subject: u32, detail: u64, name: &str) {
        if let Some(journal) = &mut self.journal {
            journal.push_trace(time, kind, subject, name, detail);
        }
        if let Some(events) = &mut self.events {
            events.push(TraceEvent {
                time,
                kind,
                subject,
                subject_name: name.to_string(),
                detail,
            });
        }
    }

    /// The hash of every event so far: equal for equal traces.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Events recorded so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether no event has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The recorded events, if recording was on.
    pub fn events(&self) -> Option<&[TraceEvent]> {
        self.events.as_deref()
    }

    pub(crate) fn take_events(&mut self) -> Option<Vec<TraceEvent>> {
        self.events.take()
    }
}

/// Where two recorded traces of one seed part ways.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the first differing event.
    pub index: usize,
    /// The first run's event there (`None`: that run had ended).
    pub first: Option<TraceEvent>,
    /// The second run's event there (`None`: that run had ended).
    pub second: Option<TraceEvent>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |e: &Option<TraceEvent>| match e {
            Some(e) => e.to_string(),
            None => "the run had ended".to_string(),
        };
        write!(
            f,
            "the runs part ways at event #{}: first run: {}; second run: {}",
            self.index,
            show(&self.first),
            show(&self.second)
        )
    }
}

/// The first event where `a` and `b` differ, if any.
pub fn first_divergence(a: &[TraceEvent], b: &[TraceEvent]) -> Option<Divergence> {
    let n = a.len().max(b.len());
    (0..n)
        .find(|&i| a.get(i) != b.get(i))
        .map(|index| Divergence {
            index,
            first: a.get(index).cloned(),
            second: b.get(index).cloned(),
        })
}
