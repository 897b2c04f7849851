//! Virtual file descriptors: the kernel objects of every simulated host
//! (its runtime's epoll instance and waker eventfd, and the sockets a
//! network crate provides) live in a per-simulation table instead of the
//! kernel.
//!
//! On a simulation thread the interposed `epoll_create1`, `epoll_ctl`,
//! `epoll_wait`, `eventfd`, `read`, `write`, `readv`, `writev`, `close`,
//! `dup`, `fcntl`, `ioctl` and `poll` act on these objects when given a
//! virtual number (`2^30` and above, see [`VIRTUAL_FD_BASE`]), and forward
//! to the kernel otherwise, so a real file a host opens keeps working.
//! Calls the layer does not model (`fstat`, `mmap`, `sendfile`, `lseek`,
//! ...) fail on a virtual number with the `errno` Linux gives for an
//! object that does not support them, and are reported as a violation that
//! ends the run.
//!
//! sim-clock owns the numbers, the table and the interposers, but not the
//! objects: the crate that owns a kind of object implements
//! [`VirtualFile`] for it and registers a factory ([`set_epoll_factory`],
//! [`set_eventfd_factory`]), or installs objects directly with [`open`].
//! So no layer reaches upward: sim-core provides epoll and eventfd, a
//! network crate provides sockets.
//!
//! ```
//! use std::any::Any;
//! use std::rc::Rc;
//! use sim_clock::vfd::{self, VirtualFile};
//!
//! /// An object that reads as an endless stream of zeros.
//! struct Zeros;
//! impl VirtualFile for Zeros {
//!     fn kind(&self) -> &'static str { "zeros" }
//!     fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, vfd::Errno> {
//!         buf.fill(0);
//!         Ok(buf.len())
//!     }
//!     fn as_any(&self) -> &dyn Any { self }
//! }
//!
//! std::thread::spawn(|| {
//!     let _sim = sim_clock::enter(Default::default()).unwrap();
//!     let fd = vfd::open(Rc::new(Zeros), libc::O_RDWR, true).unwrap();
//!     assert!(vfd::is_virtual(fd));
//!     let mut buf = [7u8; 4];
//!     // The ordinary libc call reaches the object, not the kernel.
//!     assert_eq!(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), 4) }, 4);
//!     assert_eq!(buf, [0; 4]);
//!     assert_eq!(unsafe { libc::close(fd) }, 0);
//!     assert_eq!(vfd::open_count(), 0);
//! })
//! .join()
//! .unwrap();
//! ```

use std::cell::RefCell;
use std::rc::Rc;

mod file;
mod inert;
mod numbers;
pub(crate) mod slots;
mod socket;
mod table;

pub use file::{EpollTarget, Errno, Readiness, ReadinessSink, VirtualEpoll, VirtualFile, Watchers};
pub(crate) use inert::InertDup;
pub use numbers::{is_virtual, INDEX_LIMIT, SLOT_LIMIT, VIRTUAL_FD_BASE};
pub use socket::{SocketFactory, UnixCalls, VirtualSocket};
pub use table::{OpenFile, NO_OWNER};

use table::Table;

/// Makes the epoll instance behind a new virtual `epoll_create1`; gets the
/// index of the host that creates it ([`NO_OWNER`] outside any host).
pub type EpollFactory = Box<dyn Fn(u32) -> Result<Rc<dyn VirtualFile>, Errno>>;

/// Makes the eventfd behind a new virtual `eventfd(initval, flags)`; gets
/// the initial value, whether `EFD_SEMAPHORE` was given, and the host.
pub type EventfdFactory = Box<dyn Fn(u32, bool, u32) -> Result<Rc<dyn VirtualFile>, Errno>>;

#[derive(Default)]
struct Factories {
    epoll: Option<Rc<EpollFactory>>,
    eventfd: Option<Rc<EventfdFactory>>,
    socket: Option<Rc<SocketFactory>>,
}

thread_local! {
    /// This simulation's table, owned through a raw pointer (made by
    /// [`open_table`], freed by [`close_table`]) so that the thread-local
    /// needs no destructor: every park and wake reads it, and a
    /// thread-local without one is a plain load.
    static TABLE: std::cell::Cell<*const RefCell<Table>> = const { std::cell::Cell::new(std::ptr::null()) };
    /// Events queued in all of this thread's virtual epoll instances.
    static QUEUED_EVENTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// This simulation's inbox (see [`slots`]), checked after every event.
    static INBOX: std::cell::Cell<Option<&'static slots::Inbox>> = const { std::cell::Cell::new(None) };
    static FACTORIES: RefCell<Factories> = RefCell::new(Factories::default());
}

/// Gives this simulation thread a table (called by [`crate::enter`]).
pub(crate) fn open_table() -> Result<(), String> {
    let slot = slots::acquire().ok_or_else(|| {
        format!(
            "{SLOT_LIMIT} simulations already run in this process; each needs its own band of \
             virtual descriptors"
        )
    })?;
    let table = Box::into_raw(Box::new(RefCell::new(Table::new(slot))));
    TABLE.with(|t| t.set(table));
    INBOX.with(|i| i.set(Some(slots::inbox(slot))));
    crate::threads::attach(slot);
    Ok(())
}

/// Drops every descriptor and the factories, and gives the band back
/// (called when the simulation thread's guard is dropped).
pub(crate) fn close_table() {
    crate::threads::detach();
    crate::names::reset();
    let _ = FACTORIES.try_with(|f| {
        if let Ok(mut f) = f.try_borrow_mut() {
            *f = Factories::default();
        }
    });
    let ptr = TABLE.with(|t| t.replace(std::ptr::null()));
    let _ = INBOX.try_with(|i| i.set(None));
    let _ = QUEUED_EVENTS.try_with(|q| q.set(0));
    if ptr.is_null() {
        return;
    }
    // SAFETY: made by `Box::into_raw` in `open_table` on this thread and
    // unreachable from now on (the thread-local holds null); no borrow of it
    // is alive, since every borrow ends within a `with_table` call.
    let mut table = unsafe { Box::from_raw(ptr as *mut RefCell<Table>) }.into_inner();
    let slot = table.slot();
    // The objects' destructors run with no table installed: a descriptor
    // call they make is answered EBADF, not turned into a use of this one.
    drop(table.take_all());
    slots::release(slot);
}

/// This thread's table, if it runs a simulation.
#[inline]
fn table() -> Option<&'static RefCell<Table>> {
    let ptr = TABLE.with(|t| t.get());
    // SAFETY: non-null only between `open_table` and `close_table` on this
    // thread, during which the box is alive; the reference does not escape
    // the callers below, which finish before `close_table` can run.
    (!ptr.is_null()).then(|| unsafe { &*ptr })
}

/// Runs `f` on this thread's table, if it has one and it is not borrowed.
pub(crate) fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> Option<R> {
    let mut t = table()?.try_borrow_mut().ok()?;
    Some(f(&mut t))
}

/// Registers what stands behind a virtual `epoll_create1` on this
/// simulation thread. Until one is registered, `epoll_create1` makes a real
/// epoll instance.
pub fn set_epoll_factory(factory: EpollFactory) {
    FACTORIES.with(|f| f.borrow_mut().epoll = Some(Rc::new(factory)));
}

/// Registers what stands behind a virtual `eventfd` on this simulation
/// thread. Until one is registered, `eventfd` makes a real one.
pub fn set_eventfd_factory(factory: EventfdFactory) {
    FACTORIES.with(|f| f.borrow_mut().eventfd = Some(Rc::new(factory)));
}

/// Registers what stands behind a `socket(2)` made by a simulated host on
/// this simulation thread (a network crate does this when it is installed).
/// Until one is registered, `socket` inside a host fails with `EPERM`.
pub fn set_socket_factory(factory: SocketFactory) {
    FACTORIES.with(|f| f.borrow_mut().socket = Some(Rc::new(factory)));
}

pub(crate) fn socket_factory() -> Option<Rc<SocketFactory>> {
    FACTORIES
        .try_with(|f| f.try_borrow().ok().and_then(|f| f.socket.clone()))
        .ok()
        .flatten()
}

/// Reports that `call` asked an object for something the simulator does
/// not model (`advice` says what and what to do instead): the run ends
/// with an error naming the call, the host, the virtual time and the seed.
/// The object still returns Linux's `errno` for it.
pub fn report_unsupported(call: &'static str, advice: String) {
    if crate::thread_state::is_sim_thread() {
        crate::thread_state::record_violation(crate::Violation {
            call,
            advice: advice.into(),
        });
    }
}

pub(crate) fn epoll_factory() -> Option<Rc<EpollFactory>> {
    FACTORIES
        .try_with(|f| f.try_borrow().ok().and_then(|f| f.epoll.clone()))
        .ok()
        .flatten()
}

pub(crate) fn eventfd_factory() -> Option<Rc<EventfdFactory>> {
    FACTORIES
        .try_with(|f| f.try_borrow().ok().and_then(|f| f.eventfd.clone()))
        .ok()
        .flatten()
}

/// The host a descriptor opened now belongs to: the host whose runtime is
/// being built, else the host being stepped, else [`NO_OWNER`].
pub fn current_owner() -> u32 {
    crate::wakers::building()
        .or_else(crate::wakers::stepping)
        .unwrap_or(NO_OWNER)
}

/// Installs `file` under a new virtual descriptor owned by the current host
/// (see [`current_owner`]) with status flags `status` (`O_RDWR`, plus
/// `O_NONBLOCK` if wanted) and the close-on-exec flag `cloexec`.
///
/// Fails with `EBADF` on a thread that runs no simulation, and `EMFILE`
/// when the simulation has [`INDEX_LIMIT`] descriptors open.
pub fn open(
    file: Rc<dyn VirtualFile>,
    status: libc::c_int,
    cloexec: bool,
) -> Result<libc::c_int, Errno> {
    let owner = current_owner();
    let open = Rc::new(OpenFile::new(file, status));
    with_table(|t| t.insert(open, cloexec, owner)).unwrap_or(Err(libc::EBADF))
}

/// The open file description behind virtual descriptor `fd` on this
/// simulation thread.
pub fn get(fd: libc::c_int) -> Option<Rc<OpenFile>> {
    with_table(|t| t.get(fd)).flatten()
}

/// The object behind virtual descriptor `fd`, for its owning crate to
/// downcast (`file.as_any().downcast_ref::<MySocket>()`).
pub fn file(fd: libc::c_int) -> Option<Rc<dyn VirtualFile>> {
    get(fd).map(|o| o.file.clone())
}

/// The host that opened `fd` ([`NO_OWNER`] for the setup code).
pub fn owner(fd: libc::c_int) -> Option<u32> {
    with_table(|t| t.owner(fd)).flatten()
}

/// Closes every descriptor host `owner` still has open, as the kernel does
/// when a process dies. The scheduler calls this after a crashed or killed
/// host's runtime is dropped (which closes most of them itself).
pub fn close_host(owner: u32) {
    let dropped = with_table(|t| t.remove_owned_by(owner)).unwrap_or_default();
    // Dropped here, with the table no longer borrowed: an object's
    // destructor may close descriptors of its own.
    drop(dropped);
}

/// How many virtual descriptors this simulation thread has open.
pub fn open_count() -> usize {
    with_table(|t| t.len()).unwrap_or(0)
}

/// Tells the layer that `added` events were queued in (or, negative, taken
/// from) a virtual epoll instance's ready list. Epoll implementations keep
/// this count exact; with none queued anywhere, `epoll_wait` answers a park
/// without looking the epoll up (most parks of most hosts).
pub fn queued_events_changed(added: i64) {
    let _ = QUEUED_EVENTS.try_with(|q| q.set(q.get().saturating_add_signed(added)));
}

/// Whether any virtual epoll instance of this thread has events queued.
#[inline]
pub(crate) fn any_events_queued() -> bool {
    QUEUED_EVENTS.with(|q| q.get() > 0)
}

/// The host whose runtime waker `fd` is, on this simulation thread.
#[inline]
pub(crate) fn waker_of(fd: libc::c_int) -> Option<u32> {
    table()?.try_borrow().ok()?.waker_of(fd)
}

/// Whether virtual descriptor `fd` is an open epoll instance of this
/// simulation thread.
#[inline]
pub(crate) fn is_epoll(fd: libc::c_int) -> bool {
    table()
        .and_then(|t| t.try_borrow().ok())
        .is_some_and(|t| t.is_epoll(fd))
}

/// Applies what threads outside the simulation did to its descriptors
/// (writes to a host's waker): called with the wake-ups after each event,
/// so the check is inline and the work out of line.
#[inline]
pub(crate) fn apply_foreign_ops() {
    if let Ok(Some(inbox)) = INBOX.try_with(|i| i.get()) {
        if inbox.has_pending() {
            apply_pending(inbox);
        }
    }
}

#[cold]
#[inline(never)]
fn apply_pending(inbox: &'static slots::Inbox) {
    for op in inbox.take() {
        match op {
            slots::ForeignOp::Write { fd, bytes } => {
                if let Some(open) = get(fd) {
                    let _ = open.file.write(&bytes, true);
                }
            }
            slots::ForeignOp::Refused { call } => {
                crate::thread_state::record_violation(crate::Violation {
                    call,
                    advice: "a thread outside the simulation used one of its virtual \
                             descriptors; only writes to a host's waker are carried over"
                        .into(),
                });
            }
        }
    }
}
