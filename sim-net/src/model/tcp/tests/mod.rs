//! Unit tests of the TCP state machine, smoltcp style: each test drives one
//! [`TcpConn`] directly, pushes segments in with `send!` and checks what comes
//! out with `recv!`, with no network around it. Grouped by RFC 793 state,
//! one file per state; every test also checks the invariants between the
//! connection's internal phase and its flags (`check_invariants`).

mod close_wait;
mod established;
mod fin_wait;
mod syn_received;
mod syn_sent;

use std::net::SocketAddr;

use super::conn::{Phase, TcpConn};
use super::TcpState;
use crate::model::config::TcpConfig;
use crate::model::ids::{NodeId, Time, MILLIS, SECS};
use crate::model::packet::{Route, Segment};

/// Our end.
pub(super) fn local() -> SocketAddr {
    "10.0.0.1:80".parse().unwrap()
}

/// The peer.
pub(super) fn remote() -> SocketAddr {
    "10.0.0.2:49152".parse().unwrap()
}

/// Our initial sequence number.
pub(super) const ISS: u64 = 1_000;
/// The peer's initial sequence number.
pub(super) const PEER_ISS: u64 = 5_000;
/// The window both ends advertise with the default 64 KiB buffers.
pub(super) const WINDOW: u64 = 64 * 1024;

/// A segment with every flag off and the default window: tests fill in
/// the fields that matter with `Segment { .., ..seg() }`.
pub(super) fn seg() -> Segment {
    Segment {
        seq: 0,
        ack: 0,
        syn: false,
        has_ack: false,
        fin: false,
        rst: false,
        window: WINDOW,
        data: Vec::new(),
    }
}

/// An ACK from the peer acknowledging up to `ack`, at its next sequence
/// number after the handshake.
pub(super) fn peer_ack(ack: u64) -> Segment {
    Segment {
        seq: PEER_ISS + 1,
        ack,
        has_ack: true,
        ..seg()
    }
}

/// The peer's SYN.
pub(super) fn peer_syn() -> Segment {
    Segment {
        seq: PEER_ISS,
        syn: true,
        ..seg()
    }
}

/// A connection that sent its SYN at `now` (the SYN already taken out).
pub(super) fn syn_sent(now: Time) -> TcpConn {
    let mut c = TcpConn::connect(
        now,
        local(),
        remote(),
        NodeId(1),
        Route::Link,
        TcpConfig::default(),
        ISS,
    );
    c.out.clear();
    check_invariants(&c);
    c
}

/// A connection a listener made for the peer's SYN at `now`, its SYN-ACK
/// already taken out.
pub(super) fn syn_received(now: Time) -> TcpConn {
    syn_received_with(now, TcpConfig::default())
}

/// As [`syn_received`], with settings.
pub(super) fn syn_received_with(now: Time, cfg: TcpConfig) -> TcpConn {
    let mut c = TcpConn::accept_syn(
        now,
        local(),
        remote(),
        NodeId(1),
        Route::Link,
        cfg,
        ISS,
        &peer_syn(),
    );
    c.out.clear();
    check_invariants(&c);
    c
}

/// An established connection at time 0, nothing sent or received yet.
pub(super) fn established() -> TcpConn {
    established_with(TcpConfig::default())
}

/// As [`established`], with settings.
pub(super) fn established_with(cfg: TcpConfig) -> TcpConn {
    let c = TcpConn::established(
        0,
        local(),
        remote(),
        NodeId(1),
        Route::Link,
        cfg,
        ISS,
        PEER_ISS,
        WINDOW,
    );
    check_invariants(&c);
    c
}

/// Checks what must hold between the connection's phase, its flags and its
/// sequence numbers in every state.
pub(super) fn check_invariants(c: &TcpConn) {
    assert!(
        c.snd_una <= c.snd_nxt,
        "snd_una {} > snd_nxt {}",
        c.snd_una,
        c.snd_nxt
    );
    assert!(
        c.snd_nxt <= c.snd_max,
        "snd_nxt {} > snd_max {}",
        c.snd_nxt,
        c.snd_max
    );
    assert!(
        c.snd_una >= c.iss,
        "snd_una below the initial sequence number"
    );
    if c.fin_acked {
        assert!(c.fin_queued, "a FIN acknowledged that was never queued");
    }
    match c.phase {
        Phase::SynSent => {
            assert_eq!(c.snd_una, c.iss, "SYN-SENT with something acknowledged");
            assert!(!c.fin_received && !c.fin_queued, "FIN before the handshake");
            assert_eq!(c.state(), TcpState::SynSent);
        }
        Phase::SynRcvd => {
            assert_eq!(c.snd_una, c.iss, "SYN-RECEIVED with something acknowledged");
            assert!(!c.fin_queued, "FIN queued before the handshake");
            if c.error.is_none() {
                assert_eq!(c.state(), TcpState::SynReceived);
            }
        }
        Phase::Open => {
            assert!(c.snd_una > c.iss, "open before our SYN was acknowledged");
            assert!(c.rcv_nxt > 0, "open without the peer's SYN");
        }
        Phase::Closed => assert_eq!(c.state(), TcpState::Closed),
    }
    if c.error.is_some() {
        assert_eq!(
            c.state(),
            TcpState::Closed,
            "a failed connection not shown closed"
        );
    }
}

/// Pushes one segment into the connection at a time.
macro_rules! send {
    ($conn:expr, at $t:expr, $seg:expr) => {{
        $conn.on_segment($t, $seg);
        $crate::model::tcp::tests::check_invariants(&$conn);
    }};
}

/// Takes what the connection sent and compares it with the list given.
macro_rules! recv {
    ($conn:expr, [$($seg:expr),* $(,)?]) => {{
        let out: Vec<$crate::model::packet::Segment> = std::mem::take(&mut $conn.out);
        let expected: Vec<$crate::model::packet::Segment> = vec![$($seg),*];
        assert_eq!(out, expected, "segments sent");
    }};
}

/// Runs the connection's timers at a time.
macro_rules! tick {
    ($conn:expr, at $t:expr) => {{
        $conn.on_timer($t);
        $crate::model::tcp::tests::check_invariants(&$conn);
    }};
}

pub(super) use {recv, send, tick};

/// One millisecond and one second, for readable times.
pub(super) const MS: Time = MILLIS;
/// One second.
pub(super) const S: Time = SECS;
