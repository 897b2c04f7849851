//! CLOSE-WAIT (and LAST-ACK): the peer sent its FIN first.

use super::*;

fn peer_fin() -> Segment {
    Segment {
        fin: true,
        ..peer_ack(ISS + 1)
    }
}

#[test]
fn we_can_still_send_in_close_wait() {
    let mut c = established();
    send!(c, at 10 * MS, peer_fin());
    c.write(20 * MS, b"reply").unwrap();
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 2,
            has_ack: true,
            data: b"reply".to_vec(),
            ..seg()
        }]
    );
    assert_eq!(c.state(), TcpState::CloseWait);
}

#[test]
fn closing_in_close_wait_sends_our_fin_and_finishes_on_its_ack() {
    let mut c = established();
    send!(c, at 10 * MS, peer_fin());
    c.out.clear();
    c.close(20 * MS);
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 2,
            has_ack: true,
            fin: true,
            ..seg()
        }]
    );
    assert_eq!(
        c.state(),
        TcpState::Closing,
        "LAST-ACK: our FIN is unacknowledged"
    );
    send!(c, at 30 * MS, Segment { seq: PEER_ISS + 2, ..peer_ack(ISS + 2) });
    assert!(c.is_closed());
}

#[test]
fn a_retransmitted_peer_fin_is_acknowledged_again() {
    let mut c = established();
    send!(c, at 10 * MS, peer_fin());
    c.send_deferred_ack();
    c.out.clear();
    send!(c, at 1010 * MS, peer_fin());
    c.send_deferred_ack();
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 2,
            has_ack: true,
            ..seg()
        }]
    );
}
