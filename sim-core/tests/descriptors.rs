//! Virtual file descriptors: every host's epoll instance and eventfd live in
//! the simulation's table, with Linux's semantics, and die with their host.
//! Real files opened inside a host keep working through the same calls.

mod common;

use std::io::{Read, Seek, Write};
use std::time::Duration;

use common::{log, run_with};
use sim_clock::vfd;
use sim_core::{Builder, ErrorKind, SimTime};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn eventfd(flags: i32) -> i32 {
    // SAFETY: plain call with integer arguments.
    unsafe { libc::eventfd(0, flags) }
}

fn write_u64(fd: i32, v: u64) -> isize {
    let b = v.to_ne_bytes();
    // SAFETY: 8 readable bytes.
    unsafe { libc::write(fd, b.as_ptr().cast(), 8) }
}

fn read_u64(fd: i32) -> Result<u64, i32> {
    let mut b = [0u8; 8];
    // SAFETY: 8 writable bytes.
    match unsafe { libc::read(fd, b.as_mut_ptr().cast(), 8) } {
        8 => Ok(u64::from_ne_bytes(b)),
        _ => Err(errno()),
    }
}

fn close(fd: i32) -> i32 {
    // SAFETY: closing a descriptor this test owns.
    unsafe { libc::close(fd) }
}

#[test]
fn an_eventfd_in_a_host_is_virtual_and_counts_like_linux() {
    let (result, ()) = run_with(
        Builder::new(),
        |sim| {
            sim.client("c", async {
                let fd = eventfd(libc::EFD_NONBLOCK);
                assert!(vfd::is_virtual(fd), "{fd} should be a virtual descriptor");
                assert_eq!(read_u64(fd), Err(libc::EAGAIN));
                assert_eq!(write_u64(fd, 2), 8);
                assert_eq!(write_u64(fd, 3), 8);
                assert_eq!(read_u64(fd), Ok(5));
                assert_eq!(read_u64(fd), Err(libc::EAGAIN));
                // u64::MAX is not a value; a short buffer is EINVAL.
                assert_eq!(write_u64(fd, u64::MAX), -1);
                assert_eq!(errno(), libc::EINVAL);
                let sem = eventfd(libc::EFD_NONBLOCK | libc::EFD_SEMAPHORE);
                write_u64(sem, 2);
                assert_eq!((read_u64(sem), read_u64(sem)), (Ok(1), Ok(1)));
                assert_eq!(read_u64(sem), Err(libc::EAGAIN));
                // fcntl and dup share the description's flags.
                // SAFETY: plain calls on our descriptors.
                unsafe {
                    assert_ne!(libc::fcntl(fd, libc::F_GETFL) & libc::O_NONBLOCK, 0);
                    let copy = libc::dup(fd);
                    assert!(vfd::is_virtual(copy) && copy != fd);
                    libc::fcntl(copy, libc::F_SETFL, 0);
                    assert_eq!(libc::fcntl(fd, libc::F_GETFL) & libc::O_NONBLOCK, 0);
                    let on: libc::c_int = 1;
                    assert_eq!(libc::ioctl(fd, libc::FIONBIO, &on), 0);
                    assert_ne!(libc::fcntl(copy, libc::F_GETFL) & libc::O_NONBLOCK, 0);
                    assert_eq!(close(copy), 0);
                }
                assert_eq!(close(fd), 0);
                assert_eq!(close(fd), -1);
                assert_eq!(errno(), libc::EBADF);
                close(sem);
                Ok(())
            });
        },
        |_, _| (),
    );
    result.unwrap();
}

#[test]
fn a_real_file_opened_inside_a_host_keeps_working() {
    let path = std::env::temp_dir().join(format!("simnet-vfd-{}.log", std::process::id()));
    let p = path.clone();
    let (result, ()) = run_with(
        Builder::new(),
        move |sim| {
            sim.client("logger", async move {
                let mut f = std::fs::File::options()
                    .create(true)
                    .truncate(true)
                    .read(true)
                    .write(true)
                    .open(&p)?;
                use std::os::fd::AsRawFd;
                assert!(!vfd::is_virtual(f.as_raw_fd()));
                f.write_all(b"host log line\n")?;
                f.rewind()?;
                let mut back = String::new();
                f.read_to_string(&mut back)?;
                assert_eq!(back, "host log line\n");
                assert_eq!(f.metadata()?.len(), 14);
                let copy = f.try_clone()?;
                assert!(!vfd::is_virtual(copy.as_raw_fd()));
                drop((f, copy));
                std::fs::remove_file(&p)?;
                Ok(())
            });
        },
        |_, _| (),
    );
    result.unwrap();
    assert!(!path.exists());
}

/// The events of one `epoll_wait` that returns at once.
fn wait(ep: i32) -> Vec<(u32, u64)> {
    let mut out = [libc::epoll_event { events: 0, u64: 0 }; 8];
    // SAFETY: room for 8 events; a zero timeout.
    let n = unsafe { libc::epoll_wait(ep, out.as_mut_ptr(), 8, 0) };
    out[..n.max(0) as usize]
        .iter()
        .map(|e| (e.events, e.u64))
        .collect()
}

fn ctl(ep: i32, op: i32, fd: i32, events: i32, data: u64) -> i32 {
    let mut e = libc::epoll_event {
        events: events as u32,
        u64: data,
    };
    // SAFETY: a valid event.
    unsafe { libc::epoll_ctl(ep, op, fd, &mut e) }
}

#[test]
fn the_virtual_epoll_has_linux_semantics() {
    let (result, ()) = run_with(
        Builder::new(),
        |sim| {
            sim.client("c", async {
                // SAFETY: plain call.
                let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                assert!(vfd::is_virtual(ep));
                let (et, lt, one) = (
                    eventfd(libc::EFD_NONBLOCK),
                    eventfd(libc::EFD_NONBLOCK),
                    eventfd(libc::EFD_NONBLOCK),
                );
                let rd = libc::EPOLLIN;
                assert_eq!(ctl(ep, libc::EPOLL_CTL_ADD, et, rd | libc::EPOLLET, 11), 0);
                assert_eq!(ctl(ep, libc::EPOLL_CTL_ADD, lt, rd, 22), 0);
                assert_eq!(
                    ctl(ep, libc::EPOLL_CTL_ADD, one, rd | libc::EPOLLONESHOT, 33),
                    0
                );
                assert_eq!(ctl(ep, libc::EPOLL_CTL_ADD, lt, rd, 22), -1);
                assert_eq!(errno(), libc::EEXIST);
                assert_eq!(wait(ep), vec![]);
                let rdu = libc::EPOLLIN as u32;
                // Ready in the order they became ready, with the user data.
                write_u64(lt, 1);
                write_u64(et, 1);
                write_u64(one, 1);
                assert_eq!(wait(ep), vec![(rdu, 22), (rdu, 11), (rdu, 33)]);
                // Edge-triggered and one-shot entries report once; a
                // level-triggered one while it stays readable.
                assert_eq!(wait(ep), vec![(rdu, 22)]);
                read_u64(lt).unwrap();
                assert_eq!(wait(ep), vec![]);
                // Each write is a new edge, as Linux's eventfd.
                write_u64(et, 1);
                write_u64(one, 1);
                assert_eq!(wait(ep), vec![(rdu, 11)]);
                // MOD re-arms a one-shot entry (it is still readable).
                assert_eq!(
                    ctl(ep, libc::EPOLL_CTL_MOD, one, rd | libc::EPOLLONESHOT, 34),
                    0
                );
                assert_eq!(wait(ep), vec![(rdu, 34)]);
                // A real descriptor is accepted and never reported ready.
                let mut pipe = [0i32; 2];
                // SAFETY: room for two descriptors.
                assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
                write_u64(pipe[1], 1);
                assert_eq!(ctl(ep, libc::EPOLL_CTL_ADD, pipe[0], rd, 44), 0);
                assert_eq!(wait(ep), vec![]);
                assert_eq!(ctl(ep, libc::EPOLL_CTL_DEL, pipe[0], 0, 0), 0);
                assert_eq!(ctl(ep, libc::EPOLL_CTL_DEL, pipe[0], 0, 0), -1);
                assert_eq!(errno(), libc::ENOENT);
                // A virtual descriptor cannot join a real epoll.
                // SAFETY: a raw system call, so that it reaches the kernel.
                let real_ep = unsafe { libc::syscall(libc::SYS_epoll_create1, 0) } as i32;
                assert_eq!(ctl(real_ep, libc::EPOLL_CTL_ADD, et, rd, 1), -1);
                assert_eq!(errno(), libc::EPERM);
                let _ = sim_clock::take_violations();
                for fd in [et, lt, one, ep, pipe[0], pipe[1], real_ep] {
                    close(fd);
                }
                Ok(())
            });
        },
        |_, _| (),
    );
    result.unwrap();
}

#[test]
fn a_descriptor_closed_without_del_is_replaced_by_its_successor() {
    let (result, ()) = run_with(
        Builder::new(),
        |sim| {
            sim.client("c", async {
                // SAFETY: plain call.
                let ep = unsafe { libc::epoll_create1(0) };
                let first = eventfd(libc::EFD_NONBLOCK);
                let rd = libc::EPOLLIN | libc::EPOLLET;
                assert_eq!(ctl(ep, libc::EPOLL_CTL_ADD, first, rd, 1), 0);
                write_u64(first, 1);
                // Closed with its event still queued, and no DEL: as on Linux,
                // its entry goes with it, and the number is free again.
                close(first);
                let second = eventfd(libc::EFD_NONBLOCK);
                assert_eq!(second, first, "the lowest free number is reused");
                assert_eq!(ctl(ep, libc::EPOLL_CTL_ADD, second, rd, 2), 0);
                write_u64(second, 1);
                assert_eq!(wait(ep), vec![(libc::EPOLLIN as u32, 2)]);
                assert_eq!(wait(ep), vec![]);
                close(second);
                close(ep);
                Ok(())
            });
        },
        |_, _| (),
    );
    result.unwrap();
}

#[test]
fn a_wake_from_another_host_lands_at_the_same_instant() {
    let (result, got) = run_with(
        Builder::new(),
        |sim| {
            let seen = log();
            {
                let seen = seen.clone();
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
                let rx = std::rc::Rc::new(std::cell::RefCell::new(Some(rx)));
                sim.host("server", move || {
                    let rx = rx.borrow_mut().take();
                    let seen = seen.clone();
                    async move {
                        let mut rx = rx.expect("starts once");
                        while let Some(n) = rx.recv().await {
                            let now = sim_core::sim_time().expect("inside the simulation");
                            seen.borrow_mut().push((n, now));
                        }
                        Ok(())
                    }
                });
                sim.client("sender", async move {
                    for n in 0..3 {
                        tokio::time::sleep(ms(2)).await;
                        tx.send(n)?;
                    }
                    tokio::time::sleep(ms(1)).await;
                    Ok(())
                });
            }
            seen
        },
        |_, seen| seen.borrow().clone(),
    );
    result.unwrap();
    // Each value arrives at the instant it was sent.
    let t = |n| SimTime::ZERO + ms(n);
    assert_eq!(got, vec![(0, t(2)), (1, t(4)), (2, t(6))]);
}

#[test]
fn a_crash_closes_every_descriptor_of_the_host_and_a_restart_starts_empty() {
    let (result, counts) = run_with(
        Builder::new(),
        |sim| {
            let counts = log();
            {
                let counts = counts.clone();
                sim.host("leaky", || async {
                    // Descriptors the host never closes itself.
                    for _ in 0..5 {
                        eventfd(libc::EFD_NONBLOCK);
                    }
                    std::future::pending().await
                });
                sim.client("observer", async move {
                    let note = || counts.borrow_mut().push(vfd::open_count());
                    tokio::time::sleep(ms(10)).await;
                    note();
                    sim_core::crash("leaky")?;
                    tokio::time::sleep(ms(10)).await;
                    note();
                    sim_core::restart("leaky")?;
                    tokio::time::sleep(ms(10)).await;
                    note();
                    sim_core::kill("leaky")?;
                    tokio::time::sleep(ms(10)).await;
                    note();
                    Ok(())
                });
            }
            counts
        },
        |_, counts| counts.borrow().clone(),
    );
    result.unwrap();
    let runtime = counts[1];
    // The leaky host's runtime plus its five; the observer's runtime alone.
    assert_eq!(
        counts,
        vec![2 * runtime + 5, runtime, 2 * runtime + 5, runtime]
    );
}

#[test]
fn a_finished_simulation_leaves_no_descriptor_behind() {
    let (_, after) = common::on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        sim.host("a", || async { std::future::pending().await });
        sim.client("b", async {
            eventfd(0);
            Ok(())
        });
        let during = {
            sim.run().unwrap();
            vfd::open_count()
        };
        drop(sim);
        (during, vfd::open_count())
    });
    assert_eq!(after, 0);
}

#[test]
fn an_unsupported_call_on_a_virtual_descriptor_ends_the_run_with_its_name() {
    let (result, ()) = run_with(
        Builder::new().seed(41),
        |sim| {
            sim.client("prober", async {
                tokio::time::sleep(ms(250)).await;
                let fd = eventfd(libc::EFD_NONBLOCK);
                // SAFETY: plain call with integer arguments.
                let r = unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
                assert_eq!((r, errno()), (-1, libc::ESPIPE));
                Ok(())
            });
        },
        |_, _| (),
    );
    let e = result.expect_err("lseek on an eventfd must end the run");
    assert_eq!(e.seed, 41);
    assert_eq!(e.time, SimTime::ZERO + ms(250));
    assert_eq!(e.host.as_deref(), Some("prober"));
    match &e.kind {
        ErrorKind::Unsupported { call, advice } => {
            assert_eq!(call, "lseek");
            assert!(
                advice.contains("virtual eventfd") && advice.contains("ESPIPE"),
                "{advice}"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn a_blocking_read_that_would_wait_forever_ends_the_run() {
    let (result, ()) = run_with(
        Builder::new(),
        |sim| {
            sim.client("blocker", async {
                let fd = eventfd(0);
                assert_eq!(read_u64(fd), Err(libc::EAGAIN));
                Ok(())
            });
        },
        |_, _| (),
    );
    let e = result.expect_err("a blocking read must end the run");
    assert!(
        matches!(&e.kind, ErrorKind::Unsupported { call, advice }
            if call == "read" && advice.contains("would wait forever")),
        "{e}"
    );
}
