//! The TCP connection state machine of one endpoint.
//!
//! Simplified but honest: three-way handshake, 64-bit sequence numbers, cumulative
//! ACKs for every instant at which data arrives (held to the end of the instant so
//! that a reply carries them; no delayed ACK, no SACK), out-of-order segments
//! discarded (the sender goes back to the first unacknowledged byte on timeout),
//! flow control through the advertised window with zero-window probing, RTO per
//! RFC 6298 with exponential backoff, FIN/RST teardown, user timeout and keepalive.
//! By default no congestion control: a sender fills the peer's window. With
//! `Congestion::NewReno` the sender runs `congestion::NewReno` and the
//! receiver keeps out-of-order segments in a `reassembly::Reassembly` queue,
//! answers each with an immediate duplicate ACK, and acknowledges every
//! in-order segment.
//!
//! The machine never sends anything itself: it appends segments to `out` and
//! readiness changes to `events`, and the [`Network`](crate::model::Network) drains
//! both after every call. Time is always passed in.
//!
//! This file holds the state, its construction, queries and the application's
//! calls; `sending`, `receiving` and `timers` hold the rest of the machine.

use std::io;
use std::net::SocketAddr;

use super::congestion::NewReno;
use super::reassembly::Reassembly;
use super::recv_buf::RecvBuffer;
use super::rtt::RttEstimator;
use super::send_buf::SendBuffer;
use super::state::TcpState;
use crate::model::config::{Congestion, TcpConfig};
use crate::model::ids::{NodeId, Time};
use crate::model::packet::{Route, Segment};

/// SYN-ACK retransmissions before a half-open connection is forgotten (Linux
/// `tcp_synack_retries`).
pub(super) const SYNACK_RETRIES: u32 = 5;

/// What the network must do after a call into the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnEvent {
    Readable,
    Writable,
    Closed,
    /// Handshake completed on a connection accepted by a listener.
    Established,
    /// The connection is finished and nobody holds it: forget it.
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    SynSent,
    SynRcvd,
    Open,
    Closed,
}

/// A terminal error, as reads and writes report it.
#[derive(Debug, Clone)]
pub(super) struct ConnError {
    pub(super) read: io::ErrorKind,
    pub(super) write: io::ErrorKind,
    pub(super) message: String,
}

/// The RST that answers `seg` when no connection wants it (RFC 793), if any.
pub(crate) fn rst_for(seg: &Segment) -> Option<Segment> {
    if seg.rst {
        return None;
    }
    Some(if seg.has_ack {
        Segment {
            seq: seg.ack,
            ack: 0,
            syn: false,
            has_ack: false,
            fin: false,
            rst: true,
            window: 0,
            data: Vec::new(),
        }
    } else {
        Segment {
            seq: 0,
            ack: seg.seq + seg.seq_len(),
            syn: false,
            has_ack: true,
            fin: false,
            rst: true,
            window: 0,
            data: Vec::new(),
        }
    })
}

/// One TCP endpoint.
#[derive(Debug)]
pub(crate) struct TcpConn {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub peer_node: NodeId,
    pub route: Route,
    /// The listener this connection belongs to until it is accepted.
    pub parent: Option<crate::model::ids::SocketId>,
    /// An IPv6 socket talking IPv4 (dual stack: accepted by a `[::]`
    /// listener, or connected to an IPv4-mapped address). `local` and
    /// `remote` stay the IPv4 addresses of the wire; the application sees
    /// them mapped (see `addrs`).
    pub(crate) mapped: bool,
    pub(super) cfg: TcpConfig,
    pub(super) phase: Phase,
    // Send side.
    pub(super) iss: u64,
    pub(super) snd_una: u64,
    pub(super) snd_nxt: u64,
    pub(super) snd_max: u64,
    pub(super) snd_wnd: u64,
    pub(super) send: SendBuffer,
    /// NewReno's state, with `Congestion::NewReno` only.
    pub(super) cc: Option<NewReno>,
    pub(super) fin_queued: bool,
    pub(super) fin_acked: bool,
    // Receive side.
    pub(super) rcv_nxt: u64,
    pub(super) recv: RecvBuffer,
    /// Out-of-order bytes kept for later (`Congestion::NewReno` only).
    pub(super) ooo: Reassembly,
    pub(super) fin_received: bool,
    /// Bytes a waiting read asked for (used when the receive buffer is 0).
    pub(super) pending_read: usize,
    /// Right edge of the window last advertised.
    pub(super) adv_edge: u64,
    // Timers.
    pub(super) rtt: RttEstimator,
    pub(super) rtt_probe: Option<(u64, Time)>,
    pub(super) syn_sent_at: Time,
    pub(super) rtx_at: Option<Time>,
    pub(super) retries: u32,
    pub(super) unacked_since: Option<Time>,
    pub(super) connect_deadline: Option<Time>,
    pub(super) persist_at: Option<Time>,
    pub(super) persist_backoff: u32,
    pub(super) keepalive_at: Option<Time>,
    pub(super) probes: u32,
    pub(super) last_heard: Time,
    pub(super) linger_until: Option<Time>,
    // Status.
    pub(super) error: Option<ConnError>,
    pub(super) orphaned: bool,
    /// `SO_LINGER` with a zero timeout: closing sends RST, not FIN.
    pub(super) zero_linger: bool,
    pub(super) removed: bool,
    /// A pure ACK is owed for data (or a FIN, a probe, a window change) of
    /// this instant. It is held back until the end of the instant, so that a
    /// segment sent meanwhile (a reply) carries it instead; see
    /// [`Network::flush_acks`](crate::model::Network::flush_acks).
    pub(crate) ack_pending: bool,
    /// On the network's list of connections owing an ACK.
    pub(crate) ack_listed: bool,
    // Counters.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub retransmits: u64,
    // Outputs drained by the network.
    pub out: Vec<Segment>,
    pub events: Vec<ConnEvent>,
    /// The data buffer of the last segment received, emptied, for the next
    /// data segment sent: a request/response exchange then allocates no
    /// buffer per segment.
    pub(super) spare: Vec<u8>,
}

impl TcpConn {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn blank(
        now: Time,
        local: SocketAddr,
        remote: SocketAddr,
        peer_node: NodeId,
        route: Route,
        cfg: TcpConfig,
        iss: u64,
        phase: Phase,
    ) -> Self {
        let mut cfg = cfg;
        // A zero timeout would re-arm a timer at the same instant forever.
        cfg.rto_initial = cfg.rto_initial.max(1);
        cfg.rto_min = cfg.rto_min.max(1);
        let cc = (cfg.congestion == Congestion::NewReno).then(|| NewReno::new(cfg.mss, iss));
        TcpConn {
            local,
            remote,
            peer_node,
            route,
            parent: None,
            mapped: false,
            rtt: RttEstimator::new(cfg.rto_initial, cfg.rto_min, cfg.rto_max),
            cfg,
            phase,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            send: SendBuffer::new(iss + 1),
            cc,
            fin_queued: false,
            fin_acked: false,
            rcv_nxt: 0,
            recv: RecvBuffer::new(0),
            ooo: Reassembly::default(),
            fin_received: false,
            pending_read: 0,
            adv_edge: 0,
            rtt_probe: None,
            syn_sent_at: now,
            rtx_at: None,
            retries: 0,
            unacked_since: None,
            connect_deadline: None,
            persist_at: None,
            persist_backoff: 0,
            keepalive_at: None,
            probes: 0,
            last_heard: now,
            linger_until: None,
            error: None,
            orphaned: false,
            zero_linger: false,
            removed: false,
            ack_pending: false,
            ack_listed: false,
            bytes_sent: 0,
            bytes_received: 0,
            retransmits: 0,
            out: Vec::new(),
            events: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Active open: sends SYN.
    pub(crate) fn connect(
        now: Time,
        local: SocketAddr,
        remote: SocketAddr,
        peer_node: NodeId,
        route: Route,
        cfg: TcpConfig,
        iss: u64,
    ) -> Self {
        let deadline = now.saturating_add(cfg.connect_timeout);
        let mut c = Self::blank(
            now,
            local,
            remote,
            peer_node,
            route,
            cfg,
            iss,
            Phase::SynSent,
        );
        c.connect_deadline = Some(deadline);
        c.send_syn(now);
        c
    }

    /// Passive open: a listener got `syn`; sends SYN-ACK.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn accept_syn(
        now: Time,
        local: SocketAddr,
        remote: SocketAddr,
        peer_node: NodeId,
        route: Route,
        cfg: TcpConfig,
        iss: u64,
        syn: &Segment,
    ) -> Self {
        let mut c = Self::blank(
            now,
            local,
            remote,
            peer_node,
            route,
            cfg,
            iss,
            Phase::SynRcvd,
        );
        c.set_irs(syn.seq);
        c.snd_wnd = syn.window;
        c.send_syn(now);
        c
    }

    /// An already established connection (for `inject_connection`): `iss` is ours,
    /// `irs` the peer's, each side's window starts at the other's buffer size.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn established(
        now: Time,
        local: SocketAddr,
        remote: SocketAddr,
        peer_node: NodeId,
        route: Route,
        cfg: TcpConfig,
        iss: u64,
        irs: u64,
        peer_window: u64,
    ) -> Self {
        let mut c = Self::blank(now, local, remote, peer_node, route, cfg, iss, Phase::Open);
        c.set_irs(irs);
        c.snd_una = iss + 1;
        c.snd_nxt = iss + 1;
        c.snd_max = iss + 1;
        c.snd_wnd = peer_window;
        c.adv_edge = c.rcv_nxt + c.rcv_window();
        c.rearm(now);
        c
    }

    pub(super) fn set_irs(&mut self, irs: u64) {
        self.rcv_nxt = irs + 1;
        self.recv = RecvBuffer::new(irs + 1);
    }

    // ----- queries -------------------------------------------------------------

    /// Coarse state for listings.
    pub(crate) fn state(&self) -> TcpState {
        if self.error.is_some() {
            return TcpState::Closed;
        }
        match self.phase {
            Phase::SynSent => TcpState::SynSent,
            Phase::SynRcvd => TcpState::SynReceived,
            Phase::Closed => TcpState::Closed,
            Phase::Open => {
                if self.linger_until.is_some() {
                    TcpState::TimeWait
                } else {
                    match (self.fin_queued, self.fin_received) {
                        (false, false) => TcpState::Established,
                        (true, false) => TcpState::FinWait,
                        (false, true) => TcpState::CloseWait,
                        (true, true) if !self.fin_acked => TcpState::Closing,
                        (true, true) => TcpState::Closed,
                    }
                }
            }
        }
    }

    pub(crate) fn error_kind(&self) -> Option<io::ErrorKind> {
        self.error.as_ref().map(|e| e.read)
    }

    pub(crate) fn send_buffered(&self) -> usize {
        self.send.len()
    }

    pub(crate) fn recv_buffered(&self) -> usize {
        self.recv.len()
    }

    pub(crate) fn srtt(&self) -> Option<Time> {
        self.rtt.srtt()
    }

    pub(crate) fn in_flight(&self) -> u64 {
        self.snd_max - self.snd_una
    }

    /// The congestion window and slow start threshold (`None` while
    /// unbounded), with congestion control on.
    pub(crate) fn congestion_window(&self) -> Option<(u64, Option<u64>)> {
        self.cc
            .as_ref()
            .map(|cc| (cc.cwnd, (cc.ssthresh != u64::MAX).then_some(cc.ssthresh)))
    }

    /// Segments sent again by fast retransmit (and NewReno's partial
    /// acknowledgements).
    pub(crate) fn fast_retransmits(&self) -> u64 {
        self.cc.as_ref().map_or(0, |cc| cc.fast_retransmits)
    }

    /// The receiving end keeps out-of-order segments (NewReno), unless
    /// nobody will ever read them.
    pub(super) fn reassembles(&self) -> bool {
        self.cfg.congestion == Congestion::NewReno && !self.orphaned && !self.fin_received
    }

    /// A read would not return `WouldBlock`.
    pub(crate) fn can_read(&self) -> bool {
        !self.recv.is_empty()
            || self.fin_received
            || self.error.is_some()
            || self.phase == Phase::Closed
    }

    /// The peer's FIN has arrived: reads return EOF once the data is read.
    pub(crate) fn fin_received(&self) -> bool {
        self.fin_received
    }

    /// A write would not return `WouldBlock`.
    pub(crate) fn can_write(&self) -> bool {
        self.error.is_some()
            || self.fin_queued
            || self.phase == Phase::Closed
            || (self.phase == Phase::Open && self.write_space() > 0)
    }

    /// Closed by the application, failed, or finished in both directions.
    pub(crate) fn is_closed(&self) -> bool {
        self.orphaned
            || self.error.is_some()
            || self.phase == Phase::Closed
            || (self.fin_acked && self.fin_received)
    }

    /// `Ok` once connected, `WouldBlock` while connecting, the error if it failed.
    pub(crate) fn connect_result(&self) -> io::Result<()> {
        if let Some(e) = &self.error {
            return Err(io::Error::new(e.read, e.message.clone()));
        }
        match self.phase {
            Phase::SynSent | Phase::SynRcvd => Err(io::ErrorKind::WouldBlock.into()),
            Phase::Open | Phase::Closed => Ok(()),
        }
    }

    /// The earliest timer of this connection.
    pub(crate) fn next_timer(&self) -> Option<Time> {
        if self.removed {
            return None;
        }
        // Written out rather than as an iterator: this runs after every
        // operation on the connection.
        let earliest = |a: Option<Time>, b: Option<Time>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let t = earliest(self.rtx_at, self.persist_at);
        let t = earliest(t, self.keepalive_at);
        let t = earliest(t, self.linger_until);
        earliest(t, self.connect_deadline)
    }

    /// Changes settings that apply to an open connection (timeouts, keepalive).
    pub(crate) fn set_user_timeout(&mut self, now: Time, t: Option<Time>) {
        self.cfg.user_timeout = t;
        self.rtx_at = None;
        self.rearm(now);
    }

    pub(crate) fn set_keepalive(&mut self, now: Time, k: Option<crate::model::config::Keepalive>) {
        self.cfg.keepalive = k;
        self.keepalive_at = None;
        self.rearm(now);
    }

    // ----- application calls ----------------------------------------------------

    pub(super) fn rcv_window(&self) -> u64 {
        if self.cfg.recv_buffer == 0 {
            self.pending_read.saturating_sub(self.recv.len()) as u64
        } else {
            self.cfg.recv_buffer.saturating_sub(self.recv.len()) as u64
        }
    }

    pub(super) fn recv_limit(&self) -> usize {
        if self.cfg.recv_buffer == 0 {
            self.pending_read.max(self.recv.len())
        } else {
            self.cfg.recv_buffer
        }
    }

    pub(super) fn write_space(&self) -> usize {
        if self.cfg.send_buffer == 0 {
            // No kernel buffering: only what the peer's window has room for.
            (self.snd_una + self.snd_wnd).saturating_sub(self.send.end_seq()) as usize
        } else {
            self.cfg.send_buffer.saturating_sub(self.send.len())
        }
    }

    /// Reads in-order bytes; `Ok(0)` is EOF.
    pub(crate) fn read(&mut self, now: Time, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.recv.is_empty() {
            let n = self.recv.read(buf);
            if self.cfg.recv_buffer == 0 {
                self.pending_read = 0;
            }
            self.maybe_window_update(now);
            return Ok(n);
        }
        if let Some(e) = &self.error {
            return Err(io::Error::new(e.read, e.message.clone()));
        }
        if self.fin_received || self.phase == Phase::Closed {
            return Ok(0);
        }
        if self.phase == Phase::Open && self.cfg.recv_buffer == 0 && self.pending_read != buf.len()
        {
            // Rendezvous: a waiting read opens the window for what it asks.
            self.pending_read = buf.len();
            self.maybe_window_update(now);
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    /// Like [`read`](Self::read) but leaves the bytes in the buffer (no window
    /// update, no rendezvous opening: peeking is not consuming).
    pub(crate) fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.recv.is_empty() {
            return Ok(self.recv.peek(buf));
        }
        if let Some(e) = &self.error {
            return Err(io::Error::new(e.read, e.message.clone()));
        }
        if self.fin_received || self.phase == Phase::Closed {
            return Ok(0);
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    /// Queues bytes for sending; `WouldBlock` when the send buffer is full.
    pub(crate) fn write(&mut self, now: Time, buf: &[u8]) -> io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(io::Error::new(e.write, e.message.clone()));
        }
        if self.fin_queued || self.phase == Phase::Closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("write to {} after shutdown", self.remote),
            ));
        }
        if self.phase != Phase::Open {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.write_space().min(buf.len());
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.send.push(&buf[..n]);
        debug_assert!(self.cfg.send_buffer == 0 || self.send.len() <= self.cfg.send_buffer);
        self.try_send(now);
        self.rearm(now);
        Ok(n)
    }

    /// `shutdown(Write)`: FIN after everything queued.
    pub(crate) fn shutdown_write(&mut self, now: Time) -> io::Result<()> {
        if let Some(e) = &self.error {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                e.message.clone(),
            ));
        }
        if self.phase != Phase::Open {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!("shutdown: not connected to {}", self.remote),
            ));
        }
        if !self.fin_queued {
            self.fin_queued = true;
            self.events.push(ConnEvent::Writable);
            self.try_send(now);
            self.rearm(now);
        }
        Ok(())
    }

    /// The application let go of the socket (close or drop): FIN after queued data,
    /// or RST at once if received data was never read or the socket lingers
    /// for zero seconds (abortive close).
    pub(crate) fn close(&mut self, now: Time) {
        if self.orphaned {
            return;
        }
        self.orphaned = true;
        if self.error.is_some() || self.phase != Phase::Open {
            self.remove();
            return;
        }
        if !self.recv.is_empty() || self.zero_linger {
            self.abort(now);
            return;
        }
        self.fin_queued = true;
        self.try_send(now);
        self.check_done(now);
        self.rearm(now);
    }

    /// Sends RST and forgets the connection (close with unread data, listener close).
    pub(crate) fn abort(&mut self, _now: Time) {
        if self.phase != Phase::SynSent && self.error.is_none() && !self.removed {
            let seq = self.snd_max;
            let ack = self.rcv_nxt;
            self.out.push(Segment {
                seq,
                ack,
                syn: false,
                has_ack: true,
                fin: false,
                rst: true,
                window: 0,
                data: Vec::new(),
            });
        }
        self.error = Some(ConnError {
            read: io::ErrorKind::ConnectionAborted,
            write: io::ErrorKind::ConnectionAborted,
            message: format!("connection to {} aborted locally", self.remote),
        });
        self.phase = Phase::Closed;
        self.remove();
    }

    pub(super) fn remove(&mut self) {
        if self.ack_pending && self.error.is_none() {
            // Last words: what was owed leaves before the connection goes.
            self.send_ack();
        }
        if !self.removed {
            self.removed = true;
            self.clear_timers();
            self.events.push(ConnEvent::Closed);
            self.events.push(ConnEvent::Remove);
        }
    }

    pub(super) fn clear_timers(&mut self) {
        self.rtx_at = None;
        self.persist_at = None;
        self.keepalive_at = None;
        self.linger_until = None;
        self.connect_deadline = None;
    }

    pub(super) fn fail(&mut self, read: io::ErrorKind, write: io::ErrorKind, message: String) {
        if self.error.is_some() {
            return;
        }
        self.error = Some(ConnError {
            read,
            write,
            message,
        });
        self.phase = Phase::Closed;
        self.clear_timers();
        self.events.push(ConnEvent::Readable);
        self.events.push(ConnEvent::Writable);
        self.events.push(ConnEvent::Closed);
        if self.orphaned || self.parent.is_some() {
            self.remove();
        }
    }
}
