//! The vocabulary of the fault schedule: the kinds of fault ([`FaultKind`])
//! and one drawn fault with its targets and size ([`Fault`]).

use std::fmt;
use std::time::Duration;

use crate::api::ClockOffset;

/// A kind of fault the schedule can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// The machine crashes (silence, sockets vanish), then restarts.
    Crash,
    /// The process is killed (the kernel closes its sockets), then restarts.
    Kill,
    /// The host is paused (its kernel still buffers), then resumed.
    Pause,
    /// Two hosts cannot reach each other, both ways.
    Partition,
    /// One host's packets to another are dropped; the other way works.
    PartitionOneWay,
    /// One host is cut off from every other host.
    Isolate,
    /// The hosts are split in two halves that cannot reach each other.
    Split,
    /// Packets between two hosts are held (not dropped), then released in
    /// order.
    Hold,
    /// The links between two hosts get slower by a drawn amount.
    LatencySpike,
    /// The links between two hosts get jitter, which reorders datagrams.
    Jitter,
    /// The links between two hosts lose a drawn fraction of packets.
    LossBurst,
    /// A host's realtime clock steps ahead or behind (as a bad NTP step
    /// would), then steps back.
    ClockJump,
    /// A host's realtime clock runs fast or slow, then is corrected: the
    /// drift (counted from time zero, see `Sim::set_clock_drift`) is taken
    /// off, so the clock reads what it would have read without it.
    ClockDrift,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FaultKind; 13] = [
        FaultKind::Crash,
        FaultKind::Kill,
        FaultKind::Pause,
        FaultKind::Partition,
        FaultKind::PartitionOneWay,
        FaultKind::Isolate,
        FaultKind::Split,
        FaultKind::Hold,
        FaultKind::LatencySpike,
        FaultKind::Jitter,
        FaultKind::LossBurst,
        FaultKind::ClockJump,
        FaultKind::ClockDrift,
    ];

    /// The name used in logs, reports and JSON (`crash`,
    /// `partition-one-way`, `latency-spike`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Kill => "kill",
            FaultKind::Pause => "pause",
            FaultKind::Partition => "partition",
            FaultKind::PartitionOneWay => "partition-one-way",
            FaultKind::Isolate => "isolate",
            FaultKind::Split => "split",
            FaultKind::Hold => "hold",
            FaultKind::LatencySpike => "latency-spike",
            FaultKind::Jitter => "jitter",
            FaultKind::LossBurst => "loss-burst",
            FaultKind::ClockJump => "clock-jump",
            FaultKind::ClockDrift => "clock-drift",
        }
    }

    /// Whether the network carries it out (a network must be installed, see
    /// [`set_network_faults`](super::set_network_faults)).
    pub fn is_network(self) -> bool {
        !matches!(
            self,
            FaultKind::Crash
                | FaultKind::Kill
                | FaultKind::Pause
                | FaultKind::ClockJump
                | FaultKind::ClockDrift
        )
    }

    /// The fewest target hosts it needs.
    pub(crate) fn min_hosts(self) -> usize {
        match self {
            FaultKind::Crash
            | FaultKind::Kill
            | FaultKind::Pause
            | FaultKind::Isolate
            | FaultKind::ClockJump
            | FaultKind::ClockDrift => 1,
            _ => 2,
        }
    }

    /// Whether it acts on one pair of hosts (drawn from the links).
    pub(crate) fn on_link(self) -> bool {
        matches!(
            self,
            FaultKind::Partition
                | FaultKind::PartitionOneWay
                | FaultKind::Hold
                | FaultKind::LatencySpike
                | FaultKind::Jitter
                | FaultKind::LossBurst
        )
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fault of a schedule: its kind, the hosts it hits and its size.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Crash `host`, restart it at the end.
    Crash {
        /// The host.
        host: String,
    },
    /// Kill `host`'s process, restart it at the end.
    Kill {
        /// The host.
        host: String,
    },
    /// Pause `host`, resume it at the end.
    Pause {
        /// The host.
        host: String,
    },
    /// Partition `a` and `b`, both ways; heal at the end.
    Partition {
        /// One side.
        a: String,
        /// The other side.
        b: String,
    },
    /// Drop what `from` sends to `to`; heal at the end.
    PartitionOneWay {
        /// The sender whose packets are dropped.
        from: String,
        /// The receiver.
        to: String,
    },
    /// Cut `host` off from every other host; heal at the end.
    Isolate {
        /// The host.
        host: String,
    },
    /// Split the hosts into `left` and `right`; heal at the end.
    Split {
        /// One half.
        left: Vec<String>,
        /// The other half.
        right: Vec<String>,
    },
    /// Hold the packets between `a` and `b`, both ways; release at the end.
    Hold {
        /// One side.
        a: String,
        /// The other side.
        b: String,
    },
    /// Add `extra` one-way latency on the links between `a` and `b`.
    LatencySpike {
        /// One side.
        a: String,
        /// The other side.
        b: String,
        /// The added delay.
        extra: Duration,
    },
    /// Set up to `jitter` of extra random delay per packet between `a` and `b`.
    Jitter {
        /// One side.
        a: String,
        /// The other side.
        b: String,
        /// The largest extra delay.
        jitter: Duration,
    },
    /// Lose each packet between `a` and `b` with probability `percent / 100`.
    LossBurst {
        /// One side.
        a: String,
        /// The other side.
        b: String,
        /// The loss rate, in percent.
        percent: u32,
    },
    /// Step `host`'s realtime clock by `jump`; step it back at the end.
    ClockJump {
        /// The host.
        host: String,
        /// The step.
        jump: ClockOffset,
    },
    /// Add `ppm` to `host`'s clock drift; take it off at the end.
    ClockDrift {
        /// The host.
        host: String,
        /// Parts per million (positive: the clock runs fast).
        ppm: i64,
    },
}

/// What a fault occupies while it lasts: two faults that share a resource
/// never overlap, so that undoing one cannot undo the other.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Resource {
    /// The host's process (crash, kill, pause).
    Process(String),
    /// The host's clock.
    Clock(String),
    /// The host's place in the network (partitions, holds, its links).
    Network(String),
}

impl Fault {
    /// Its kind.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Crash { .. } => FaultKind::Crash,
            Fault::Kill { .. } => FaultKind::Kill,
            Fault::Pause { .. } => FaultKind::Pause,
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::PartitionOneWay { .. } => FaultKind::PartitionOneWay,
            Fault::Isolate { .. } => FaultKind::Isolate,
            Fault::Split { .. } => FaultKind::Split,
            Fault::Hold { .. } => FaultKind::Hold,
            Fault::LatencySpike { .. } => FaultKind::LatencySpike,
            Fault::Jitter { .. } => FaultKind::Jitter,
            Fault::LossBurst { .. } => FaultKind::LossBurst,
            Fault::ClockJump { .. } => FaultKind::ClockJump,
            Fault::ClockDrift { .. } => FaultKind::ClockDrift,
        }
    }

    /// The hosts it hits.
    pub fn hosts(&self) -> Vec<&str> {
        match self {
            Fault::Crash { host }
            | Fault::Kill { host }
            | Fault::Pause { host }
            | Fault::Isolate { host }
            | Fault::ClockJump { host, .. }
            | Fault::ClockDrift { host, .. } => vec![host],
            Fault::Partition { a, b }
            | Fault::Hold { a, b }
            | Fault::LatencySpike { a, b, .. }
            | Fault::Jitter { a, b, .. }
            | Fault::LossBurst { a, b, .. } => vec![a, b],
            Fault::PartitionOneWay { from, to } => vec![from, to],
            Fault::Split { left, right } => left.iter().chain(right).map(String::as_str).collect(),
        }
    }

    pub(crate) fn resources(&self) -> Vec<Resource> {
        let kind = self.kind();
        self.hosts()
            .into_iter()
            .map(|h| {
                let h = h.to_string();
                match kind {
                    FaultKind::Crash | FaultKind::Kill | FaultKind::Pause => Resource::Process(h),
                    FaultKind::ClockJump | FaultKind::ClockDrift => Resource::Clock(h),
                    _ => Resource::Network(h),
                }
            })
            .collect()
    }

    /// The word the log uses for its end: `restarted`, `resumed`, `healed`,
    /// `released`, `restored`.
    pub fn undo_word(&self) -> &'static str {
        match self.kind() {
            FaultKind::Crash | FaultKind::Kill => "restarted",
            FaultKind::Pause => "resumed",
            FaultKind::Partition
            | FaultKind::PartitionOneWay
            | FaultKind::Isolate
            | FaultKind::Split => "healed",
            FaultKind::Hold => "released",
            _ => "restored",
        }
    }
}

impl fmt::Display for Fault {
    /// `partition kv1 | kv2`, `split kv1 | kv2,kv3`, `crash kv2`,
    /// `latency-spike kv1 <-> kv3 +250ms`, `clock-jump kv2 -3.5s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Crash { host } => write!(f, "crash {host}"),
            Fault::Kill { host } => write!(f, "kill {host}"),
            Fault::Pause { host } => write!(f, "pause {host}"),
            Fault::Partition { a, b } => write!(f, "partition {a} | {b}"),
            Fault::PartitionOneWay { from, to } => write!(f, "partition-one-way {from} -> {to}"),
            Fault::Isolate { host } => write!(f, "isolate {host}"),
            Fault::Split { left, right } => {
                write!(f, "split {} | {}", left.join(","), right.join(","))
            }
            Fault::Hold { a, b } => write!(f, "hold {a} <-> {b}"),
            Fault::LatencySpike { a, b, extra } => {
                write!(f, "latency-spike {a} <-> {b} +{}ms", extra.as_millis())
            }
            Fault::Jitter { a, b, jitter } => {
                write!(f, "jitter {a} <-> {b} 0..{}ms", jitter.as_millis())
            }
            Fault::LossBurst { a, b, percent } => {
                write!(f, "loss-burst {a} <-> {b} {percent}%")
            }
            Fault::ClockJump { host, jump } => {
                let ms = jump.as_nanos() / 1_000_000;
                let sign = if ms < 0 { "-" } else { "+" };
                let ms = ms.unsigned_abs();
                write!(f, "clock-jump {host} {sign}{}.{:03}s", ms / 1000, ms % 1000)
            }
            Fault::ClockDrift { host, ppm } => write!(f, "clock-drift {host} {ppm:+}ppm"),
        }
    }
}
