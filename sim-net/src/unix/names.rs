//! The names Unix domain sockets are bound to: one namespace per host.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use sim_clock::vfd::Errno;

/// A name on a host: the host's index and the `sun_path` bytes.
type HostName = (u32, Vec<u8>);

/// Every host's bound Unix domain names, for one simulation: stream and
/// datagram sockets share them, as on Linux.
#[derive(Default)]
pub(crate) struct UnixNames {
    bound: RefCell<BTreeMap<HostName, Weak<dyn Any>>>,
    /// The next autobind name (Linux draws five hex digits from a counter).
    next_auto: Cell<u32>,
}

impl UnixNames {
    /// Binds `name` on `host` to `socket`: `EADDRINUSE` if a live socket
    /// holds it.
    pub(crate) fn bind(&self, host: u32, name: &[u8], socket: Weak<dyn Any>) -> Result<(), Errno> {
        let mut bound = self.bound.borrow_mut();
        let key = (host, name.to_vec());
        if bound.get(&key).is_some_and(|w| w.strong_count() > 0) {
            return Err(libc::EADDRINUSE);
        }
        bound.insert(key, socket);
        Ok(())
    }

    /// `bind(2)` of a socket of `host` whose name is kept in `current`:
    /// `EINVAL` if it has one already; an empty `name` binds a fresh
    /// abstract one (autobind).
    pub(crate) fn bind_socket(
        &self,
        host: u32,
        name: &[u8],
        socket: Weak<dyn Any>,
        current: &RefCell<Vec<u8>>,
    ) -> Result<(), Errno> {
        if !current.borrow().is_empty() {
            return Err(libc::EINVAL);
        }
        let name = if name.is_empty() {
            self.autobind_name(host)
        } else {
            name.to_vec()
        };
        self.bind(host, &name, socket)?;
        *current.borrow_mut() = name;
        Ok(())
    }

    /// A fresh abstract name for `bind` without one (Linux's autobind:
    /// a NUL and five hex digits), not yet bound on `host`.
    pub(crate) fn autobind_name(&self, host: u32) -> Vec<u8> {
        loop {
            let n = self.next_auto.get();
            self.next_auto.set(n.wrapping_add(1) & 0xfffff);
            let mut name = vec![0u8];
            name.extend_from_slice(format!("{n:05x}").as_bytes());
            if self.lookup(host, &name).is_none() {
                return name;
            }
        }
    }

    /// The live socket bound to `name` on `host` (a `UnixStream` or a
    /// `UnixDatagram`).
    pub(crate) fn lookup(&self, host: u32, name: &[u8]) -> Option<Rc<dyn Any>> {
        self.bound
            .borrow()
            .get(&(host, name.to_vec()))
            .and_then(Weak::upgrade)
    }

    /// Frees `name` on `host` if `socket` (closing) holds it. Never fails:
    /// a socket may close while the table is in use, and then its dead
    /// entry is replaced by the next bind of that name.
    pub(crate) fn release(&self, host: u32, name: &[u8], socket: *const ()) {
        if let Ok(mut bound) = self.bound.try_borrow_mut() {
            let key = (host, name.to_vec());
            if bound
                .get(&key)
                .is_some_and(|w| std::ptr::addr_eq(w.as_ptr(), socket))
            {
                bound.remove(&key);
            }
        }
    }
}
