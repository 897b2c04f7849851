//! Readiness and non-blocking I/O of a `TcpStream` beyond the basics:
//! readiness for several interests at once, vectored `try_` reads and
//! writes, and `poll_peek`, as tokio has them.

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::task::{Context, Poll};

use tokio::io::{Interest as TokioInterest, ReadBuf, Ready};

use super::stream::{ready, state};
use crate::state::Interest;
use crate::TcpStream;

impl TcpStream {
    /// Waits until the stream is ready for one of `interest` and says which:
    /// `READABLE` when a read would not block (data, EOF or an error),
    /// `WRITABLE` when a write would be accepted, and `READ_CLOSED` and
    /// `WRITE_CLOSED` with them once the connection is closed (by either
    /// side, or failed).
    pub async fn ready(&self, interest: TokioInterest) -> io::Result<Ready> {
        poll_fn(|cx| self.poll_ready(cx, interest)).await
    }

    fn poll_ready(&self, cx: &mut Context<'_>, interest: TokioInterest) -> Poll<io::Result<Ready>> {
        ready(state(), |s| {
            let mut now = Ready::EMPTY;
            {
                let model = s.model.borrow();
                let closed = model.is_closed(self.id);
                if interest.is_readable() && model.can_read(self.id) {
                    now |= Ready::READABLE;
                    if closed {
                        now |= Ready::READ_CLOSED;
                    }
                }
                if interest.is_writable() && (model.can_write(self.id) || closed) {
                    now |= Ready::WRITABLE;
                    if closed {
                        now |= Ready::WRITE_CLOSED;
                    }
                }
            }
            if !now.is_empty() {
                return Poll::Ready(Ok(now));
            }
            if interest.is_readable() {
                s.register(cx, self.id, Interest::Read);
            }
            if interest.is_writable() {
                s.register(cx, self.id, Interest::Write);
            }
            Poll::Pending
        })
    }

    /// Reads what is there into `bufs`, in order, without waiting;
    /// `WouldBlock` if nothing is.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for buf in bufs.iter_mut().filter(|b| !b.is_empty()) {
            match self.try_read(buf) {
                Ok(n) => {
                    total += n;
                    if n < buf.len() {
                        break; // drained (or EOF)
                    }
                }
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// Writes what fits of `bufs`, in order, without waiting; `WouldBlock`
    /// if nothing does.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for buf in bufs.iter().filter(|b| !b.is_empty()) {
            match self.try_write(buf) {
                Ok(n) => {
                    total += n;
                    if n < buf.len() {
                        break; // the send buffer is full
                    }
                }
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// Polls a peek: fills `buf` without consuming, so the next read returns
    /// the same bytes.
    pub fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        match self.poll_peek_slice(cx, buf.initialize_unfilled()) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }
}
