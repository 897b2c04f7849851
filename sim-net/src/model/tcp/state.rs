//! The RFC 793 state of a connection, as `ss` shows it.

/// Coarse TCP state, as `ss` would show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TcpState {
    /// SYN sent, waiting for SYN-ACK.
    SynSent,
    /// SYN received by a listener, SYN-ACK sent.
    SynReceived,
    /// Open in both directions.
    Established,
    /// We sent FIN (shutdown(Write) or close), the peer has not.
    FinWait,
    /// The peer sent FIN, we have not.
    CloseWait,
    /// Both sent FIN, ours not yet acknowledged.
    Closing,
    /// Closed cleanly by the application, lingering to answer late segments.
    TimeWait,
    /// Finished: cleanly, or with an error (see [`ConnectionInfo::error`](crate::model::ConnectionInfo::error)).
    Closed,
}
