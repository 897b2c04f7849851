//! Socket-level fault injection, after Go's `testing/nettest` proposal: an error that
//! the next read, write, accept or close of one socket returns until cleared.

use std::io;

/// Which socket operation an injected error applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultOp {
    /// `read` / `recv_from`.
    Read,
    /// `write` / `send_to`.
    Write,
    /// `accept`.
    Accept,
    /// `close` (the socket is closed anyway; the error is what close reports).
    Close,
}

/// An error to return from an operation: kind and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    /// The `io::ErrorKind` the operation returns.
    pub kind: io::ErrorKind,
    /// The message carried by the error.
    pub message: String,
}

impl InjectedError {
    /// An injected error of `kind` with `message`.
    pub fn new(kind: io::ErrorKind, message: impl Into<String>) -> Self {
        InjectedError {
            kind,
            message: message.into(),
        }
    }

    fn to_io(&self) -> io::Error {
        io::Error::new(self.kind, self.message.clone())
    }
}

/// The injected errors of one socket.
#[derive(Debug, Clone, Default)]
pub(crate) struct SocketFaults {
    read: Option<InjectedError>,
    write: Option<InjectedError>,
    accept: Option<InjectedError>,
    close: Option<InjectedError>,
}

impl SocketFaults {
    pub(crate) fn set(&mut self, op: FaultOp, err: Option<InjectedError>) {
        *self.slot(op) = err;
    }

    fn slot(&mut self, op: FaultOp) -> &mut Option<InjectedError> {
        match op {
            FaultOp::Read => &mut self.read,
            FaultOp::Write => &mut self.write,
            FaultOp::Accept => &mut self.accept,
            FaultOp::Close => &mut self.close,
        }
    }

    /// `Err` with the injected error for `op`, if one is set.
    /// Whether an error is set for `op` (without making it).
    pub(crate) fn is_set(&self, op: FaultOp) -> bool {
        match op {
            FaultOp::Read => self.read.is_some(),
            FaultOp::Write => self.write.is_some(),
            FaultOp::Accept => self.accept.is_some(),
            FaultOp::Close => self.close.is_some(),
        }
    }

    pub(crate) fn check(&self, op: FaultOp) -> io::Result<()> {
        let slot = match op {
            FaultOp::Read => &self.read,
            FaultOp::Write => &self.write,
            FaultOp::Accept => &self.accept,
            FaultOp::Close => &self.close,
        };
        match slot {
            Some(e) => Err(e.to_io()),
            None => Ok(()),
        }
    }
}
