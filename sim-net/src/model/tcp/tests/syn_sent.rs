//! SYN-SENT: an active open waiting for the peer's SYN-ACK.

use std::io::ErrorKind;

use super::*;

#[test]
fn connect_sends_a_syn_without_ack() {
    let mut c = TcpConn::connect(
        0,
        local(),
        remote(),
        NodeId(1),
        Route::Link,
        TcpConfig::default(),
        ISS,
    );
    recv!(
        c,
        [Segment {
            seq: ISS,
            syn: true,
            ..seg()
        }]
    );
    assert_eq!(c.state(), TcpState::SynSent);
    assert_eq!(
        c.connect_result().unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn syn_ack_establishes_acks_at_once_and_samples_the_rtt() {
    let mut c = syn_sent(0);
    send!(c, at 20 * MS, Segment { seq: PEER_ISS, ack: ISS + 1, syn: true, has_ack: true, ..seg() });
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 1,
            has_ack: true,
            ..seg()
        }]
    );
    assert_eq!(c.state(), TcpState::Established);
    assert!(c.connect_result().is_ok());
    assert_eq!(c.srtt(), Some(20 * MS));
}

#[test]
fn rst_acknowledging_the_syn_refuses_the_connection() {
    let mut c = syn_sent(0);
    send!(c, at 20 * MS, Segment { seq: 0, ack: ISS + 1, rst: true, has_ack: true, window: 0, ..seg() });
    recv!(c, []);
    assert_eq!(
        c.connect_result().unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    assert_eq!(c.state(), TcpState::Closed);
}

#[test]
fn rst_with_an_unacceptable_ack_is_ignored() {
    let mut c = syn_sent(0);
    send!(c, at 20 * MS, Segment { ack: ISS + 7, rst: true, has_ack: true, ..seg() });
    recv!(c, []);
    assert_eq!(c.state(), TcpState::SynSent);
}

#[test]
fn syn_ack_for_another_syn_is_answered_with_rst() {
    let mut c = syn_sent(0);
    send!(c, at 20 * MS, Segment { seq: PEER_ISS, ack: ISS + 9, syn: true, has_ack: true, ..seg() });
    recv!(
        c,
        [Segment {
            seq: ISS + 9,
            rst: true,
            window: 0,
            ..seg()
        }]
    );
    assert_eq!(c.state(), TcpState::SynSent);
}

#[test]
fn a_bare_syn_is_ignored_since_simultaneous_open_is_not_modelled() {
    let mut c = syn_sent(0);
    send!(c, at 20 * MS, peer_syn());
    recv!(c, []);
    assert_eq!(c.state(), TcpState::SynSent);
}

#[test]
fn the_syn_is_retransmitted_after_the_initial_rto_and_then_backs_off() {
    let mut c = syn_sent(0);
    assert_eq!(c.next_timer(), Some(S));
    tick!(c, at S);
    recv!(
        c,
        [Segment {
            seq: ISS,
            syn: true,
            ..seg()
        }]
    );
    assert_eq!(c.next_timer(), Some(3 * S));
    assert_eq!(c.retransmits, 1);
}

#[test]
fn karn_a_syn_ack_after_a_retransmitted_syn_gives_no_rtt_sample() {
    let mut c = syn_sent(0);
    tick!(c, at S);
    recv!(
        c,
        [Segment {
            seq: ISS,
            syn: true,
            ..seg()
        }]
    );
    send!(c, at S + 20 * MS, Segment { seq: PEER_ISS, ack: ISS + 1, syn: true, has_ack: true, ..seg() });
    assert_eq!(c.state(), TcpState::Established);
    assert_eq!(c.srtt(), None, "the SYN-ACK may answer either SYN");
}

#[test]
fn connect_times_out_at_the_connect_timeout() {
    let mut c = syn_sent(0);
    let deadline = TcpConfig::default().connect_timeout;
    while let Some(t) = c.next_timer() {
        if t >= deadline {
            break;
        }
        tick!(c, at t);
        c.out.clear();
    }
    assert_eq!(c.next_timer(), Some(deadline));
    tick!(c, at deadline);
    assert_eq!(c.connect_result().unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(c.next_timer(), None);
}
