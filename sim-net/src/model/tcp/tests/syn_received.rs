//! SYN-RECEIVED: a listener's half-open connection waiting for the final ACK
//! of the handshake.

use super::*;
use crate::model::tcp::conn::{ConnEvent, SYNACK_RETRIES};

fn syn_ack() -> Segment {
    Segment {
        seq: ISS,
        ack: PEER_ISS + 1,
        syn: true,
        has_ack: true,
        ..seg()
    }
}

#[test]
fn a_syn_is_answered_with_a_syn_ack() {
    let mut c = TcpConn::accept_syn(
        0,
        local(),
        remote(),
        NodeId(1),
        Route::Link,
        TcpConfig::default(),
        ISS,
        &peer_syn(),
    );
    recv!(c, [syn_ack()]);
    assert_eq!(c.state(), TcpState::SynReceived);
}

#[test]
fn the_final_ack_establishes_and_samples_the_rtt() {
    let mut c = syn_received(0);
    send!(c, at 20 * MS, peer_ack(ISS + 1));
    recv!(c, []);
    assert_eq!(c.state(), TcpState::Established);
    assert!(c.events.contains(&ConnEvent::Established));
    assert_eq!(c.srtt(), Some(20 * MS));
}

/// Karn's rule (RFC 6298, section 3): no RTT sample from a segment that was
/// retransmitted, since the ACK may answer either copy. Here the SYN-ACK
/// left at 0 and again at 1 s; the ACK at 1.02 s may answer the first.
#[test]
fn karn_an_ack_after_a_retransmitted_syn_ack_gives_no_rtt_sample() {
    let mut c = syn_received(0);
    tick!(c, at S);
    recv!(c, [syn_ack()]);
    assert_eq!(c.retransmits, 1);
    send!(c, at S + 20 * MS, peer_ack(ISS + 1));
    assert_eq!(c.state(), TcpState::Established);
    assert_eq!(c.srtt(), None, "an ambiguous sample was taken");
}

#[test]
fn a_repeated_syn_is_answered_with_the_syn_ack_again() {
    let mut c = syn_received(0);
    send!(c, at 500 * MS, peer_syn());
    recv!(c, [syn_ack()]);
    assert_eq!(c.state(), TcpState::SynReceived);
    assert_eq!(c.retransmits, 1, "counted as Linux counts it");
}

#[test]
fn karn_an_ack_after_a_syn_ack_resent_for_a_repeated_syn_gives_no_rtt_sample() {
    let mut c = syn_received(0);
    send!(c, at 500 * MS, peer_syn());
    recv!(c, [syn_ack()]);
    send!(c, at 520 * MS, peer_ack(ISS + 1));
    assert_eq!(c.state(), TcpState::Established);
    assert_eq!(c.srtt(), None, "the ACK may answer either SYN-ACK");
}

#[test]
fn an_ack_of_something_never_sent_is_answered_with_rst() {
    let mut c = syn_received(0);
    send!(c, at 20 * MS, peer_ack(ISS + 5));
    recv!(
        c,
        [Segment {
            seq: ISS + 5,
            rst: true,
            window: 0,
            ..seg()
        }]
    );
    assert_eq!(c.state(), TcpState::SynReceived);
}

#[test]
fn rst_forgets_the_half_open_connection() {
    let mut c = syn_received(0);
    send!(c, at 20 * MS, Segment { seq: PEER_ISS + 1, rst: true, ..seg() });
    recv!(c, []);
    assert!(c.events.contains(&ConnEvent::Remove));
}

#[test]
fn the_syn_ack_is_retried_as_linux_does_then_forgotten() {
    let mut c = syn_received(0);
    for _ in 0..SYNACK_RETRIES {
        let t = c.next_timer().expect("the SYN-ACK timer runs");
        tick!(c, at t);
        recv!(c, [syn_ack()]);
    }
    // 1 + 2 + 4 + 8 + 16 s of backoff, then 32 s more and the end.
    assert_eq!(c.next_timer(), Some(63 * S));
    tick!(c, at 63 * S);
    recv!(c, []);
    assert!(c.events.contains(&ConnEvent::Remove));
}
