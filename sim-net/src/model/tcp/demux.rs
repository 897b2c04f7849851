//! TCP demultiplexing: the table that finds the connection a segment belongs
//! to by its node and its two addresses.

use std::net::SocketAddr;

use crate::model::ids::{NodeId, SocketId};

/// A connection's key: its node, local and remote addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnKey {
    node: NodeId,
    local: SocketAddr,
    remote: SocketAddr,
}

impl ConnKey {
    pub(crate) fn new(node: NodeId, local: SocketAddr, remote: SocketAddr) -> Self {
        ConnKey {
            node,
            local,
            remote,
        }
    }
}

/// An address folded into one word for hashing.
fn fold_addr(addr: &SocketAddr) -> u64 {
    let ip = match addr {
        SocketAddr::V4(a) => u64::from(u32::from(*a.ip())),
        SocketAddr::V6(a) => {
            let b = u128::from(*a.ip());
            (b as u64) ^ ((b >> 64) as u64).rotate_left(17)
        }
    };
    (ip << 16) ^ (ip >> 48) ^ u64::from(addr.port())
}

impl std::hash::Hash for ConnKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // One word: the table's hasher mixes it (see `ConnHasher`).
        let a = fold_addr(&self.local);
        let b = fold_addr(&self.remote);
        state.write_u64(a ^ b.rotate_left(29) ^ u64::from(self.node.0).rotate_left(53));
    }
}

/// A multiply-rotate hasher for [`ConnKey`]s. The table is only looked up,
/// never iterated, so its order (and this hash) cannot reach the simulation's
/// behaviour; SipHash cost more than the lookup it replaces.
#[derive(Default)]
pub(crate) struct ConnHasher(u64);

impl std::hash::Hasher for ConnHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        let h = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

/// The TCP connections by [`ConnKey`].
pub(crate) type ConnTable =
    std::collections::HashMap<ConnKey, SocketId, std::hash::BuildHasherDefault<ConnHasher>>;
