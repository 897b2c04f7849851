//! Readiness and peeking of a `UdpSocket`: readiness for several interests,
//! `poll_recv_ready`/`poll_send_ready`, and the `peek` family, which copies
//! the next datagram (or names its sender) without taking it.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use tokio::io::{Interest as TokioInterest, ReadBuf, Ready};

use super::{state, UdpSocket};
use crate::state::Interest;

impl UdpSocket {
    /// Waits until the socket is ready for one of `interest` and says which:
    /// `READABLE` when a receive would not block (a datagram or a pending
    /// error), `WRITABLE` at once (UDP sends never wait).
    pub async fn ready(&self, interest: TokioInterest) -> io::Result<Ready> {
        poll_fn(|cx| {
            let s = match state() {
                Ok(s) => s,
                Err(e) => return Poll::Ready(Err(e)),
            };
            let mut now = Ready::EMPTY;
            if interest.is_readable() && s.model.borrow().can_read(self.id) {
                now |= Ready::READABLE;
            }
            if interest.is_writable() {
                now |= Ready::WRITABLE;
            }
            if now.is_empty() {
                s.register(cx, self.id, Interest::Read);
                return Poll::Pending;
            }
            Poll::Ready(Ok(now))
        })
        .await
    }

    /// Polls until a receive would not block.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match state() {
            Ok(s) if s.model.borrow().can_read(self.id) => Poll::Ready(Ok(())),
            Ok(s) => {
                s.register(cx, self.id, Interest::Read);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// Polls until a send would not block: at once.
    pub fn poll_send_ready(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(state().map(|_| ()))
    }

    /// Waits for a datagram from the connected peer and copies it into `buf`
    /// without taking it; returns the bytes copied.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.peek_from(buf).await.map(|(n, _)| n)
    }

    /// Polls to peek at the next datagram into `buf`, without taking it.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.poll_peek_from(cx, buf).map_ok(|_| ())
    }

    /// Peeks at the next datagram without waiting; `WouldBlock` if none.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_peek_from(buf).map(|(n, _)| n)
    }

    /// Waits for a datagram and copies it into `buf` without taking it:
    /// the bytes copied (the rest of a longer datagram is not lost: the next
    /// receive gets it whole) and its sender.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_peek_slice(cx, buf))
            .await
            .map(|(n, _, from)| (n, from))
    }

    /// Polls to peek at the next datagram into `buf`; returns its sender.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let dst = buf.initialize_unfilled();
        match self.poll_peek_slice(cx, dst) {
            Poll::Ready(Ok((n, _, from))) => {
                buf.advance(n);
                Poll::Ready(Ok(from))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Peeks at the next datagram and its sender without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        state()?
            .op(|m, now| m.udp_peek(now, self.id, buf))
            .map(|(n, _, from)| (n, from))
    }

    /// Waits for a datagram and returns its sender, without taking it.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.peek_sender_len().await.map(|(_, from)| from)
    }

    /// Polls for the sender of the next datagram, without taking it.
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.poll_peek_slice(cx, &mut [])
            .map_ok(|(_, _, from)| from)
    }

    /// The sender of the next datagram, without waiting or taking it.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        state()?
            .op(|m, now| m.udp_peek(now, self.id, &mut []))
            .map(|(_, _, from)| from)
    }
}
