//! Node lifecycle: crash, restart, process kill.
//!
//! - crash: the machine stops. Its sockets vanish without sending anything, packets
//!   to it are dropped ([`DropReason::NodeDown`]) while it is down.
//! - restart: up again with no sockets; segments of connections from before the
//!   crash find no socket and are answered with RST.
//! - kill: the process dies, the kernel lives and closes every socket: FIN, or RST
//!   where received data was never read; listeners reset unaccepted connections.
//! - pause: nothing to do here, the kernel keeps buffering while the process sleeps.
//!
//! [`DropReason::NodeDown`]: super::DropReason::NodeDown

use super::ids::{NodeId, Time};
use super::network::Network;
use super::notify::Readiness;
use super::socket::SocketKind;

impl Network {
    /// The machine crashed: every socket of `node` disappears silently.
    pub fn node_crashed(&mut self, now: Time, node: NodeId) {
        self.touch(now);
        let Some(n) = self.nodes.get_mut(node.0 as usize) else {
            return;
        };
        n.up = false;
        let ids: Vec<_> = n.sockets.iter().copied().collect();
        for id in ids {
            self.notify(id, Readiness::Closed);
            self.remove_socket(id);
        }
    }

    /// The machine is back, with no sockets.
    pub fn node_restarted(&mut self, now: Time, node: NodeId) {
        self.touch(now);
        if let Some(n) = self.nodes.get_mut(node.0 as usize) {
            n.up = true;
        }
    }

    /// The process was killed: the kernel closes each socket as `close` would
    /// (listeners first, so their pending connections are reset).
    pub fn node_killed(&mut self, now: Time, node: NodeId) {
        self.touch(now);
        let Some(n) = self.nodes.get(node.0 as usize) else {
            return;
        };
        let ids: Vec<_> = n.sockets.iter().copied().collect();
        let (listeners, others): (Vec<_>, Vec<_>) = ids.into_iter().partition(|id| {
            matches!(
                self.sockets.get(id).map(|e| &e.kind),
                Some(SocketKind::Listener(_))
            )
        });
        for id in listeners.into_iter().chain(others) {
            if let Some(e) = self.sockets.get_mut(&id) {
                // Injected close errors are for the application, not the kernel.
                e.faults.set(super::fault::FaultOp::Close, None);
                let _ = self.close(now, id);
            }
        }
    }
}
