use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sim_core::Harness;

#[test]
fn heartbeats_stop_while_the_server_is_down() {
    Harness::new().seeds(0..20).run(|sim| {
        let beats = Rc::new(Cell::new(0u64));
        let counter = beats.clone();
        sim.host("server", move || {
            let counter = counter.clone();
            async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await; // at 0 s, 1 s, 2 s, ... of virtual time
                    counter.set(counter.get() + 1);
                }
            }
        });
        sim.client("monitor", async move {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            assert_eq!(beats.get(), 3);
            sim_core::crash("server")?;
            tokio::time::sleep(Duration::from_secs(10)).await;
            assert_eq!(beats.get(), 3, "a crashed host must stay silent");
            sim_core::restart("server")?;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(beats.get(), 5, "restarted from its factory");
            Ok(())
        });
    });
}
