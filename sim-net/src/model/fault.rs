//! Socket-level fault injection, after Go's `testing/nettest` proposal: an error that
//! the next read, write, accept or close of one socket returns until cleared.
//! An accept error of a connection's kind comes once per queued connection
//! and takes it, as Linux's `ECONNABORTED` does (see
//! [`SocketFaults::accept_error_takes_connection`]).

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

    /// Whether the injected accept error is one that a connection causes
    /// on Linux (`ECONNABORTED`, `ECONNRESET`, and the network errors
    /// `accept` passes on from a pending connection: `ENETDOWN`,
    /// `ENETUNREACH`, `EHOSTUNREACH`). Such an error comes with a queued
    /// connection and takes it; any other (`EMFILE`, `ENOMEM`, ...) is
    /// returned by every `accept`, queued connections or not.
    pub(crate) fn accept_error_takes_connection(&self) -> bool {
        self.accept
            .as_ref()
            .is_some_and(|e| is_connection_error(e.kind))
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

/// The error kinds Linux's `accept` reports for one pending connection.
fn is_connection_error(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable
    )
}
