//! The send buffer: bytes written by the application and not yet acknowledged,
//! addressed by sequence number.

use std::collections::VecDeque;

/// Unacknowledged and unsent bytes; `start` is the sequence number of the first.
#[derive(Debug, Clone)]
pub(crate) struct SendBuffer {
    start: u64,
    bytes: VecDeque<u8>,
}

impl SendBuffer {
    /// An empty buffer whose first byte will have sequence number `start`.
    pub(crate) fn new(start: u64) -> Self {
        SendBuffer {
            start,
            bytes: VecDeque::new(),
        }
    }

    /// Bytes held.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Sequence number just past the last byte written.
    pub(crate) fn end_seq(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }

    /// Appends application bytes.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.bytes.extend(data);
    }

    /// Forgets bytes below `seq` (they were acknowledged); returns how many.
    pub(crate) fn ack_to(&mut self, seq: u64) -> usize {
        if seq <= self.start {
            return 0;
        }
        let n = ((seq - self.start) as usize).min(self.bytes.len());
        self.bytes.drain(..n);
        self.start += n as u64;
        n
    }

    /// A copy of `len` bytes starting at sequence number `seq`.
    #[cfg(test)]
    pub(crate) fn slice(&self, seq: u64, len: usize) -> Vec<u8> {
        self.slice_into(seq, len, Vec::new())
    }

    /// Like [`slice`](Self::slice), writing into `out` (emptied first) so a
    /// spare buffer can be reused.
    pub(crate) fn slice_into(&self, seq: u64, len: usize, mut out: Vec<u8>) -> Vec<u8> {
        debug_assert!(seq >= self.start && seq + len as u64 <= self.end_seq());
        let off = (seq - self.start) as usize;
        // Copied slice by slice: far cheaper than byte by byte through the
        // deque's iterator, and this runs for every data segment sent.
        let (a, b) = self.bytes.as_slices();
        out.clear();
        out.reserve(len);
        let end = off + len;
        if off < a.len() {
            out.extend_from_slice(&a[off..end.min(a.len())]);
        }
        if end > a.len() {
            out.extend_from_slice(&b[off.saturating_sub(a.len())..end - a.len()]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_slice_ack() {
        let mut b = SendBuffer::new(100);
        b.push(b"hello world");
        assert_eq!(b.end_seq(), 111);
        assert_eq!(b.slice(106, 5), b"world");
        assert_eq!(b.ack_to(106), 6);
        assert_eq!(b.slice(106, 5), b"world");
        assert_eq!(b.ack_to(50), 0);
        // Acknowledging past the data (the FIN) drains everything, no more.
        assert_eq!(b.ack_to(200), 5);
        assert_eq!(b.len(), 0);
        assert_eq!(b.end_seq(), 111);
    }
}
