//! What stands behind a virtual descriptor: the [`VirtualFile`] trait, and
//! the [`Watchers`] list through which a file tells the epoll instances that
//! watch it that it became ready.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Weak;

/// An `errno` value (`libc::EAGAIN`, ...).
pub type Errno = libc::c_int;

/// Readiness bits, as epoll reports them (`libc::EPOLLIN as u32`, ...).
pub type Readiness = u32;

/// An object behind a virtual descriptor (an open file description, in
/// Linux's terms): an epoll instance, an eventfd, a socket.
///
/// The crate that owns a kind of object implements this trait and hands
/// instances to sim-clock's descriptor table (see
/// [`crate::vfd::set_epoll_factory`] and its siblings); the interposed `read`, `write`, `close`,
/// `epoll_ctl`, ... find the object by number and call it. Every method has
/// the answer Linux gives for an object that does not support the call, so
/// an implementation overrides only what its kind does.
///
/// Methods never block: `nonblocking` says whether the descriptor has
/// `O_NONBLOCK`. A call that would block returns `EAGAIN` either way; for a
/// blocking descriptor the interposer then reports the call as one that
/// would wait forever (every host shares one thread).
pub trait VirtualFile: Any {
    /// A short name for messages: `"epoll"`, `"eventfd"`, `"tcp socket"`.
    fn kind(&self) -> &'static str;

    /// `read(2)`. Default: `EINVAL`, as Linux for objects without a read.
    fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        let _ = (buf, nonblocking);
        Err(libc::EINVAL)
    }

    /// `write(2)`. Default: `EINVAL`.
    fn write(&self, buf: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        let _ = (buf, nonblocking);
        Err(libc::EINVAL)
    }

    /// The last descriptor of this object is being closed (`close(2)`):
    /// what `close` returns. The object is dropped right after. Default:
    /// `Ok`.
    fn release(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// The current (level) readiness: `EPOLLIN`, `EPOLLOUT`, `EPOLLERR`,
    /// `EPOLLHUP`, `EPOLLRDHUP` bits. Read by epoll when it reports an
    /// event and by `poll(2)`.
    fn readiness(&self) -> Readiness {
        0
    }

    /// The epoll instances watching this object, for objects that can
    /// become ready. `None` (the default) makes `epoll_ctl(ADD)` fail with
    /// `EPERM`, as Linux does for a regular file.
    fn watchers(&self) -> Option<&Watchers> {
        None
    }

    /// This object as an epoll instance, if it is one.
    fn as_epoll(&self) -> Option<&dyn VirtualEpoll> {
        None
    }

    /// This object as a socket, if it is one. `None` (the default) makes
    /// every socket call on its descriptor fail with `ENOTSOCK`.
    fn as_socket(&self) -> Option<&dyn super::VirtualSocket> {
        None
    }

    /// This object as [`Any`], so that its owning crate can downcast it.
    fn as_any(&self) -> &dyn Any;
}

/// The descriptor named in `epoll_ctl`, resolved by the interposer.
pub enum EpollTarget {
    /// A virtual descriptor and its object.
    Virtual(std::rc::Rc<dyn VirtualFile>),
    /// A real descriptor: accepted, and never reported ready.
    Real,
}

/// An epoll instance behind a virtual descriptor.
pub trait VirtualEpoll {
    /// `epoll_ctl(op, fd, event)`; `target` is what `fd` names.
    fn ctl(
        &self,
        op: libc::c_int,
        fd: libc::c_int,
        target: EpollTarget,
        event: Option<libc::epoll_event>,
    ) -> Result<(), Errno>;

    /// Moves ready events into `out` and returns how many. Never waits: the
    /// interposer turns "nothing ready" into a park of the host's runtime.
    fn wait(&self, out: &mut [libc::epoll_event]) -> usize;
}

/// Something that wants to hear when a watched object becomes ready: an
/// epoll instance.
pub trait ReadinessSink {
    /// `key` is what the sink passed to [`Watchers::watch`]; `events` the
    /// bits that just became (or again became) ready.
    fn on_ready(&self, key: u64, events: Readiness);
}

struct Watch {
    sink: Weak<dyn ReadinessSink>,
    key: u64,
}

/// The epoll instances watching one object. The object calls
/// [`Watchers::notify`] whenever it becomes ready for something, which
/// is what lets a host's runtime wake at the very instant its eventfd or
/// socket is written, without anyone scanning hosts.
#[derive(Default)]
pub struct Watchers {
    list: RefCell<Vec<Watch>>,
}

impl Watchers {
    /// An empty list.
    pub const fn new() -> Watchers {
        Watchers {
            list: RefCell::new(Vec::new()),
        }
    }

    /// Adds a watch (an `epoll_ctl(ADD)`).
    pub fn watch(&self, sink: Weak<dyn ReadinessSink>, key: u64) {
        let mut list = self.list.borrow_mut();
        list.retain(|w| w.sink.strong_count() > 0);
        list.push(Watch { sink, key });
    }

    /// Removes the watch of `sink` under `key` (an `epoll_ctl(DEL)`).
    pub fn unwatch(&self, sink: &Weak<dyn ReadinessSink>, key: u64) {
        self.list
            .borrow_mut()
            .retain(|w| !(w.key == key && Weak::ptr_eq(&w.sink, sink)));
    }

    /// Tells every watcher that `events` became ready.
    pub fn notify(&self, events: Readiness) {
        // Sinks never call back into this list, but a watcher list may be
        // borrowed while its object is torn down: then nobody is left to tell.
        let Ok(list) = self.list.try_borrow() else {
            return;
        };
        for w in list.iter() {
            if let Some(sink) = w.sink.upgrade() {
                sink.on_ready(w.key, events);
            }
        }
    }
}

impl std::fmt::Debug for Watchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Watchers({})", self.list.borrow().len())
    }
}
