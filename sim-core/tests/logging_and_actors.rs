//! Log lines stamped with virtual time and host; actors and extensions.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::on_fresh_thread;
use sim_core::{Actor, Builder, HostEvent, HostId, SimTime};

/// A `MakeWriter` that appends to a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn log_lines_carry_virtual_time_and_host() {
    let buffer = Buffer::default();
    let sink = buffer.clone();
    on_fresh_thread(move || {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .event_format(sim_core::logging::SimFormat)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let mut sim = Builder::new().build();
            sim.client("web-1", async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                tracing::info!(key = 7, "applied write");
                Ok(())
            });
            sim.run().unwrap();
        });
    });
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("applied write"))
        .expect("logged");
    assert!(
        line.trim_start().starts_with("1.500000000s web-1"),
        "{line}"
    );
    assert!(
        line.contains("INFO logging_and_actors: applied write key=7"),
        "{line}"
    );
}

/// An actor that records what it hears and runs at chosen instants.
struct Recorder {
    deadlines: Vec<SimTime>,
    stepped: Vec<SimTime>,
    heard: Vec<(HostId, HostEvent)>,
}

impl Actor for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn next_deadline(&self) -> Option<SimTime> {
        self.deadlines.iter().min().copied()
    }
    fn step(&mut self, now: SimTime) {
        self.stepped.push(now);
        self.deadlines.retain(|d| *d > now);
    }
    fn host_event(&mut self, host: HostId, event: HostEvent) {
        self.heard.push((host, event));
    }
}

#[test]
fn actors_are_stepped_at_their_deadlines_and_hear_host_events() {
    let (stepped, heard) = on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        let ms = |n| SimTime::ZERO + Duration::from_millis(n);
        let recorder = Rc::new(RefCell::new(Recorder {
            deadlines: vec![ms(5), ms(30)],
            stepped: vec![],
            heard: vec![],
        }));
        let id = sim.add_actor(recorder.clone());
        sim.insert_extension(recorder.clone());
        sim.host("h", move || async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            // Host code changes the actor through the extension.
            let r = sim_core::extension::<RefCell<Recorder>>().expect("extension");
            r.borrow_mut()
                .deadlines
                .push(SimTime::ZERO + Duration::from_millis(20));
            sim_core::actor_changed(id);
            std::future::pending::<()>().await;
            Ok(())
        });
        sim.run_for(Duration::from_millis(100)).unwrap();
        sim.crash("h").unwrap();
        sim.restart("h").unwrap();
        sim.pause("h").unwrap();
        sim.resume("h").unwrap();
        sim.kill("h").unwrap();
        let r = recorder.borrow();
        (
            r.stepped.clone(),
            r.heard.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
        )
    });
    let ms = |n| SimTime::ZERO + Duration::from_millis(n);
    assert_eq!(stepped, vec![ms(5), ms(20), ms(30)]);
    use HostEvent::*;
    assert_eq!(
        heard,
        vec![Started, Crashed, Started, Paused, Resumed, Stopped]
    );
}
