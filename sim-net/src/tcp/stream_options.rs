//! A `TcpStream`'s socket options and status: the error it failed with
//! (`take_error`), an abortive close (`set_zero_linger`) and `IP_TTL`, as
//! tokio has them and Linux answers them.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::stream::state;
use crate::TcpStream;

impl TcpStream {
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
