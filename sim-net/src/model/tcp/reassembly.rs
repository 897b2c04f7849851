//! The reassembly queue of a NewReno receiver: out-of-order bytes kept until
//! the hole before them is filled.
//!
//! Without it a lost segment makes every later segment of the window a
//! waste, and the sender's fast retransmit would repair one hole only to
//! find the rest of the window gone. The queue only takes bytes inside the
//! advertised window, whose right edge never moves left while the receive
//! buffer has a size, so buffered plus queued bytes stay within the buffer's
//! capacity. Pieces are kept in a `BTreeMap` by sequence number, never
//! overlapping: iteration order is the sequence order, never a hash order.

use std::collections::BTreeMap;

/// Out-of-order bytes by sequence number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reassembly {
    /// Non-overlapping pieces: first sequence number -> bytes.
    pieces: BTreeMap<u64, Vec<u8>>,
    /// Bytes held (the sum of the pieces' lengths).
    bytes: usize,
    /// The sequence number of a FIN seen beyond the hole, if any.
    fin: Option<u64>,
}

impl Reassembly {
    /// Bytes held.
    pub(crate) fn len(&self) -> usize {
        self.bytes
    }

    /// Nothing held, not even a FIN.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes == 0 && self.fin.is_none()
    }

    /// Keeps the bytes of `data` (first byte at `seq`) that fall in
    /// `[from, to)` and are not held yet; `fin` if the segment ended with a
    /// FIN and all of it fell inside.
    pub(crate) fn insert(&mut self, seq: u64, data: &[u8], fin: bool, from: u64, to: u64) {
        let end = seq + data.len() as u64;
        if fin && end <= to && seq >= from {
            self.fin = Some(end);
        }
        let (lo, hi) = (seq.max(from), end.min(to));
        if lo >= hi {
            return;
        }
        // The gaps of [lo, hi) between the pieces already held.
        let mut gaps = Vec::new();
        let mut pos = lo;
        let first = self.pieces.range(..lo).next_back().map_or(lo, |(&s, _)| s);
        for (&s, piece) in self.pieces.range(first..hi) {
            let e = s + piece.len() as u64;
            if e <= pos {
                continue;
            }
            if s > pos {
                gaps.push((pos, s));
            }
            pos = pos.max(e);
            if pos >= hi {
                break;
            }
        }
        if pos < hi {
            gaps.push((pos, hi));
        }
        for (s, e) in gaps {
            let piece = data[(s - seq) as usize..(e - seq) as usize].to_vec();
            self.bytes += piece.len();
            self.pieces.insert(s, piece);
        }
    }

    /// Takes out the bytes that continue the stream at `next` (the receiver's
    /// `rcv_nxt`), forgetting those below it. Returns the contiguous bytes
    /// (possibly none) and whether a FIN follows them.
    pub(crate) fn take_ready(&mut self, next: u64) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut pos = next;
        while let Some(entry) = self.pieces.first_entry() {
            let s = *entry.key();
            if s > pos {
                break;
            }
            let piece = entry.remove();
            self.bytes -= piece.len();
            let e = s + piece.len() as u64;
            if e > pos {
                out.extend_from_slice(&piece[(pos - s) as usize..]);
                pos = e;
            }
        }
        let fin = self.fin == Some(pos);
        if self.fin.is_some_and(|f| f <= pos) {
            self.fin = None;
        }
        (out, fin)
    }

    /// Forgets everything held (what did not fit: the sender will send it
    /// again).
    pub(crate) fn clear(&mut self) {
        self.pieces.clear();
        self.bytes = 0;
        self.fin = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_holes_without_doubling_bytes() {
        let mut q = Reassembly::default();
        q.insert(20, b"klmno", false, 10, 100);
        q.insert(30, b"uvw", true, 10, 100);
        // Overlaps both ends of the first piece.
        q.insert(18, b"ijklmnopq", false, 10, 100);
        assert_eq!(q.len(), 5 + 3 + 4);
        assert_eq!(q.take_ready(10), (Vec::new(), false));
        let (got, fin) = q.take_ready(18);
        assert_eq!(got, b"ijklmnopq");
        assert!(!fin);
        // A piece below `next` is trimmed.
        let (got, fin) = q.take_ready(31);
        assert_eq!(got, b"vw");
        assert!(fin);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn keeps_only_the_window() {
        let mut q = Reassembly::default();
        q.insert(5, b"abcdefghij", true, 8, 12);
        assert_eq!(q.len(), 4);
        assert_eq!(q.take_ready(8), (b"defg".to_vec(), false));
    }
}
