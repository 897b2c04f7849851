//! The receive buffer: in-order bytes received and not yet read.
//!
//! It checks the model's delivery invariant: every byte is appended at exactly the
//! sequence number that follows the previous one (in order, exactly once), and the
//! buffer never holds more than its capacity.

use std::collections::VecDeque;

/// In-order received bytes waiting for the application.
#[derive(Debug, Clone)]
pub(crate) struct RecvBuffer {
    bytes: VecDeque<u8>,
    /// Sequence number of the next byte expected (just past the last appended).
    next_seq: u64,
    /// Total bytes read by the application.
    pub(crate) read_total: u64,
}

impl RecvBuffer {
    pub(crate) fn new(next_seq: u64) -> Self {
        RecvBuffer {
            bytes: VecDeque::new(),
            next_seq,
            read_total: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Appends `data` whose first byte has sequence number `seq`, within `limit`
    /// bytes of buffer. Panics in debug builds if the invariant is broken; in
    /// release builds refuses the bytes (the sender will retransmit them).
    pub(crate) fn push(&mut self, seq: u64, data: &[u8], limit: usize) -> bool {
        let ok = seq == self.next_seq && self.bytes.len() + data.len() <= limit;
        debug_assert!(
            ok,
            "receive invariant broken: seq {seq} expected {}, {} + {} bytes over limit {limit}",
            self.next_seq,
            self.bytes.len(),
            data.len()
        );
        if ok {
            self.bytes.extend(data);
            self.next_seq += data.len() as u64;
        }
        ok
    }

    /// Copies up to `buf.len()` bytes out; returns how many.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> usize {
        let n = self.peek(buf);
        self.bytes.drain(..n);
        self.read_total += n as u64;
        n
    }

    /// Copies up to `buf.len()` bytes out without consuming them.
    pub(crate) fn peek(&self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.bytes.len());
        // The ring buffer is at most two slices: copy them whole rather than
        // byte by byte (this is the read path of every TCP byte).
        let (front, back) = self.bytes.as_slices();
        let from_front = n.min(front.len());
        buf[..from_front].copy_from_slice(&front[..from_front]);
        buf[from_front..n].copy_from_slice(&back[..n - from_front]);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_reads() {
        let mut r = RecvBuffer::new(10);
        assert!(r.push(10, b"abc", 8));
        assert!(r.push(13, b"de", 8));
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf), 4);
        assert_eq!(&buf, b"abcd");
        assert_eq!(r.len(), 1);
        assert_eq!(r.read_total, 4);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "receive invariant broken")]
    fn gap_is_caught() {
        let mut r = RecvBuffer::new(10);
        r.push(11, b"x", 8);
    }
}
