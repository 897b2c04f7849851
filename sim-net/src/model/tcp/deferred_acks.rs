//! The connections that owe a pure ACK at the current instant. The network
//! sends those ACKs at the end of the instant unless a data segment carried
//! them first (see `Network::flush_acks`).

use crate::model::ids::{SocketId, Time};

/// The connections owing a pure ACK, and the instant at which they owe it.
#[derive(Debug, Default)]
pub(crate) struct DeferredAcks {
    /// The connections, in the order they came to owe one. An instant's
    /// list is short: at most the connections that received data then.
    pub(crate) due: Vec<SocketId>,
    /// The instant they owe it at (meaningful while `due` is not empty).
    pub(crate) at: Time,
}
