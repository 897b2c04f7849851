//! ESTABLISHED: data both ways, acknowledgements, retransmission, reset.

use std::io::ErrorKind;

use super::*;

/// A data segment from the peer at offset `at` of its stream.
fn peer_data(offset: u64, data: &[u8]) -> Segment {
    Segment {
        seq: PEER_ISS + 1 + offset,
        ack: ISS + 1,
        has_ack: true,
        data: data.to_vec(),
        ..seg()
    }
}

#[test]
fn a_write_sends_one_segment_at_once() {
    let mut c = established();
    assert_eq!(c.write(0, b"hello").unwrap(), 5);
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 1,
            has_ack: true,
            data: b"hello".to_vec(),
            ..seg()
        }]
    );
    assert_eq!(c.in_flight(), 5);
    assert_eq!(c.next_timer(), Some(S), "the retransmission timer runs");
}

#[test]
fn a_write_larger_than_the_mss_is_cut_into_full_segments() {
    let mut c = established();
    let data = vec![7u8; 3000];
    c.write(0, &data).unwrap();
    let out = std::mem::take(&mut c.out);
    let sizes: Vec<usize> = out.iter().map(|s| s.data.len()).collect();
    assert_eq!(sizes, [1460, 1460, 80]);
    assert_eq!(out[1].seq, ISS + 1 + 1460);
}

#[test]
fn in_order_data_is_readable_and_its_ack_waits_for_the_end_of_the_instant() {
    let mut c = established();
    send!(c, at 10 * MS, peer_data(0, b"abc"));
    recv!(c, []);
    assert!(c.ack_pending);
    assert!(c.send_deferred_ack());
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 4,
            has_ack: true,
            window: WINDOW - 3,
            ..seg()
        }]
    );
    let mut buf = [0u8; 8];
    assert_eq!(c.read(10 * MS, &mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
}

#[test]
fn a_reply_written_in_the_same_instant_carries_the_ack() {
    let mut c = established();
    send!(c, at 10 * MS, peer_data(0, b"ping"));
    let mut buf = [0u8; 4];
    c.read(10 * MS, &mut buf).unwrap();
    c.write(10 * MS, b"pong").unwrap();
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 5,
            has_ack: true,
            data: b"pong".to_vec(),
            ..seg()
        }]
    );
    assert!(!c.ack_pending, "no pure ACK is owed any more");
    assert!(!c.send_deferred_ack());
}

#[test]
fn out_of_order_data_without_congestion_control_is_dropped_and_the_ack_repeats() {
    let mut c = established();
    send!(c, at 10 * MS, peer_data(3, b"def"));
    c.send_deferred_ack();
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 1,
            has_ack: true,
            ..seg()
        }]
    );
    assert_eq!(c.recv_buffered(), 0);
}

#[test]
fn an_ack_frees_the_send_buffer_and_samples_the_rtt() {
    let mut c = established();
    c.write(0, b"hello").unwrap();
    c.out.clear();
    send!(c, at 30 * MS, peer_ack(ISS + 6));
    assert_eq!(c.send_buffered(), 0);
    assert_eq!(c.in_flight(), 0);
    assert_eq!(c.srtt(), Some(30 * MS));
    assert_eq!(c.next_timer(), None, "nothing left to retransmit");
}

#[test]
fn unacknowledged_data_is_retransmitted_after_the_rto_with_backoff() {
    let mut c = established();
    c.write(0, b"hello").unwrap();
    c.out.clear();
    tick!(c, at S);
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 1,
            has_ack: true,
            data: b"hello".to_vec(),
            ..seg()
        }]
    );
    assert_eq!(c.retransmits, 1);
    assert_eq!(c.next_timer(), Some(3 * S), "the RTO doubled");
}

#[test]
fn a_write_beyond_the_send_buffer_would_block() {
    let mut c = established_with(TcpConfig {
        send_buffer: 4,
        ..TcpConfig::default()
    });
    assert_eq!(c.write(0, b"hello").unwrap(), 4);
    assert_eq!(c.write(0, b"o").unwrap_err().kind(), ErrorKind::WouldBlock);
    assert!(!c.can_write());
}

#[test]
fn a_zero_window_stops_the_sender_and_starts_the_persist_timer() {
    let mut c = established();
    send!(c, at 0, Segment { window: 0, ..peer_ack(ISS + 1) });
    c.write(10 * MS, b"hello").unwrap();
    recv!(c, []);
    assert!(c.persist_at.is_some(), "window probes are scheduled");
}

#[test]
fn rst_fails_reads_with_reset_and_writes_with_broken_pipe() {
    let mut c = established();
    send!(c, at 10 * MS, Segment { seq: PEER_ISS + 1, rst: true, ..seg() });
    let mut buf = [0u8; 4];
    assert_eq!(
        c.read(10 * MS, &mut buf).unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
    assert_eq!(
        c.write(10 * MS, b"x").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    assert_eq!(c.state(), TcpState::Closed);
}

#[test]
fn rst_outside_the_window_is_ignored() {
    let mut c = established();
    send!(c, at 10 * MS, Segment { seq: PEER_ISS, rst: true, ..seg() });
    assert_eq!(c.state(), TcpState::Established);
}

#[test]
fn a_segment_to_a_failed_connection_is_answered_with_rst() {
    let mut c = established();
    send!(c, at 10 * MS, Segment { seq: PEER_ISS + 1, rst: true, ..seg() });
    send!(c, at 20 * MS, peer_data(0, b"late"));
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            rst: true,
            window: 0,
            ..seg()
        }]
    );
}

#[test]
fn the_peers_fin_moves_to_close_wait_and_reads_eof() {
    let mut c = established();
    send!(c, at 10 * MS, Segment { fin: true, ..peer_data(0, b"") });
    assert_eq!(c.state(), TcpState::CloseWait);
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
    let mut buf = [0u8; 4];
    assert_eq!(c.read(10 * MS, &mut buf).unwrap(), 0);
}

#[test]
fn closing_with_unread_data_sends_rst() {
    let mut c = established();
    send!(c, at 10 * MS, peer_data(0, b"unread"));
    c.out.clear();
    c.close(20 * MS);
    recv!(
        c,
        [Segment {
            seq: ISS + 1,
            ack: PEER_ISS + 7,
            has_ack: true,
            rst: true,
            window: 0,
            ..seg()
        }]
    );
}
