//! The rest of tokio's `TcpStream` API: readiness for several interests at
//! once, vectored reads and writes, `poll_peek`, `take_error`, an abortive
//! close (`set_zero_linger`) and `IP_TTL`, so that code using them compiles
//! and behaves as on Linux.

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

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

    /// The error the connection failed with (reset, timed out ...), if it
    /// failed. Unlike Linux's `SO_ERROR`, reading it does not clear it: the
    /// connection stays failed.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        state()?.model.borrow().tcp_error(self.id)
    }

    /// `SO_LINGER` with a zero timeout: closing or dropping the stream then
    /// sends RST at once and discards unsent data, so the peer reads
    /// `ConnectionReset` (an abortive close), instead of FIN after the data.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        state()?.op(|m, _| m.tcp_set_zero_linger(self.id))
    }

    /// `Some(0)` after [`set_zero_linger`](Self::set_zero_linger), `None`
    /// (a normal close) before.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        let zero = state()?.model.borrow().tcp_zero_linger(self.id)?;
        Ok(zero.then_some(Duration::ZERO))
    }

    /// `IP_TTL` (64 unless set). The simulated network is one hop deep, so
    /// every TTL from 1 to 255 delivers alike.
    pub fn ttl(&self) -> io::Result<u32> {
        Ok(self.ttl.load(Ordering::Relaxed))
    }

    /// Sets `IP_TTL`: 1 to 255, as Linux accepts; `InvalidInput` otherwise.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        super::stream::check_ttl(ttl)?;
        self.ttl.store(ttl, Ordering::Relaxed);
        Ok(())
    }
}
