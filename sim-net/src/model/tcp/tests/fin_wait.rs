//! FIN-WAIT, CLOSING and TIME-WAIT: we sent our FIN first.

use std::io::ErrorKind;

use super::*;

fn our_fin() -> Segment {
    Segment {
        seq: ISS + 1,
        ack: PEER_ISS + 1,
        has_ack: true,
        fin: true,
        ..seg()
    }
}

#[test]
fn shutdown_write_sends_fin_and_moves_to_fin_wait() {
    let mut c = established();
    c.shutdown_write(0).unwrap();
    recv!(c, [our_fin()]);
    assert_eq!(c.state(), TcpState::FinWait);
    assert_eq!(c.write(0, b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
}

#[test]
fn the_fin_follows_queued_data() {
    let mut c = established();
    c.write(0, b"bye").unwrap();
    c.shutdown_write(0).unwrap();
    let out = std::mem::take(&mut c.out);
    let last = out.last().expect("something was sent");
    assert!(last.fin, "the FIN is the last thing sent");
    assert_eq!(
        last.seq + last.data.len() as u64,
        ISS + 4,
        "after the 3 data bytes"
    );
}

#[test]
fn the_peer_can_still_send_after_our_fin() {
    let mut c = established();
    c.shutdown_write(0).unwrap();
    c.out.clear();
    send!(c, at 10 * MS, Segment { data: b"more".to_vec(), ..peer_ack(ISS + 2) });
    let mut buf = [0u8; 8];
    assert_eq!(c.read(10 * MS, &mut buf).unwrap(), 4);
    assert_eq!(c.state(), TcpState::FinWait);
}

#[test]
fn both_fins_crossing_is_closing_until_ours_is_acknowledged() {
    let mut c = established();
    c.shutdown_write(0).unwrap();
    c.out.clear();
    send!(c, at 10 * MS, Segment { fin: true, ..peer_ack(ISS + 1) });
    assert_eq!(c.state(), TcpState::Closing);
}

#[test]
fn closed_cleanly_the_connection_lingers_in_time_wait() {
    let mut c = established();
    c.close(0);
    recv!(c, [our_fin()]);
    send!(c, at 10 * MS, Segment { fin: true, ..peer_ack(ISS + 2) });
    assert_eq!(c.state(), TcpState::TimeWait);
    assert_eq!(
        c.next_timer(),
        Some(10 * MS + TcpConfig::default().time_wait)
    );
}

#[test]
fn an_unacknowledged_fin_is_retransmitted() {
    let mut c = established();
    c.shutdown_write(0).unwrap();
    c.out.clear();
    tick!(c, at S);
    recv!(c, [our_fin()]);
}
