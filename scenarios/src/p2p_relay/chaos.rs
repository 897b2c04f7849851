//! The checker: injects the variant's fault at the moment that makes it
//! bite, then waits for both downloads and checks what the fault implies.

use std::rc::Rc;
use std::sync::Arc;

use sim_core::SimTime;

use super::{Fault, Plan, RelayLog, World, PEERS, RELAY};
use crate::clocks::virtual_now;

/// The checker client of every variant.
pub(super) async fn check(plan: Plan, world: Rc<World>, log: Arc<RelayLog>) -> sim_core::Result {
    match plan.fault {
        Fault::None => {
            both_done(&world).await;
            for (i, peer) in world.peers.iter().enumerate() {
                if peer.attempts.get() != 1 {
                    return Err(format!(
                        "{} needed {} attempts without any fault",
                        PEERS[i],
                        peer.attempts.get()
                    )
                    .into());
                }
            }
        }
        Fault::PeerRestart => peer_restart(plan, &world).await?,
        Fault::RelayCrash => relay_crash(plan, &world, &log).await?,
        Fault::Partition => partition(plan, &world, &log).await?,
    }
    sim_core::trace_note("p2p.finished", virtual_now().as_nanos());
    Ok(())
}

/// Waits until the current incarnation of each peer has the other's file.
async fn both_done(world: &World) {
    world
        .until(|w| w.peers.iter().all(|p| p.done_at.get().is_some()))
        .await;
}

/// Waits until `peer-b` is `plan.fault_at_bytes` into `peer-a`'s file.
async fn mid_transfer(plan: Plan, world: &World) -> Result<SimTime, String> {
    world
        .until(|w| w.peers[1].progress.get() >= plan.fault_at_bytes)
        .await;
    if world.peers[1].done_at.get().is_some() {
        return Err("peer-b finished before the fault could cut its download".into());
    }
    Ok(virtual_now())
}

/// `peer-a` is killed while `peer-b` downloads from it, and restarts on a
/// new port after `fault_for`.
async fn peer_restart(plan: Plan, world: &World) -> Result<(), String> {
    mid_transfer(plan, world).await?;
    sim_core::kill(PEERS[0]).map_err(|e| e.to_string())?;
    tokio::time::sleep(plan.fault_for).await;
    sim_core::restart(PEERS[0]).map_err(|e| e.to_string())?;
    let restarted = virtual_now();
    both_done(world).await;
    let (a, b) = (&world.peers[0], &world.peers[1]);
    if a.incarnation.get() != 2 {
        return Err(format!(
            "peer-a runs incarnation {}, expected 2",
            a.incarnation.get()
        ));
    }
    if b.attempts.get() < 2 {
        return Err("peer-b's download survived peer-a's death: it was not cut".into());
    }
    if b.done_at.get() < Some(restarted) {
        return Err("peer-b finished before peer-a came back".into());
    }
    Ok(())
}

/// The relay crashes at the first registration it serves and restarts
/// (empty) after `fault_for`.
async fn relay_crash(plan: Plan, world: &World, log: &RelayLog) -> Result<(), String> {
    let first = loop {
        let changed = log.changed.notified();
        if let Some((name, _)) = log.registrations().first() {
            break name.clone();
        }
        changed.await;
    };
    sim_core::crash(RELAY).map_err(|e| e.to_string())?;
    tokio::time::sleep(plan.fault_for).await;
    sim_core::restart(RELAY).map_err(|e| e.to_string())?;
    let restarted = virtual_now();
    both_done(world).await;
    // The peer that registered first cannot have found the other before
    // the crash: the other's registration arrives later (see the links).
    let index = PEERS.iter().position(|p| *p == first).unwrap_or(0);
    let found = world.peers[index].found_at.get();
    if found < Some(restarted) {
        return Err(format!(
            "{first} found the other at {found:?}, before the relay came back at {restarted}"
        ));
    }
    for peer in PEERS {
        let again = log
            .registrations()
            .iter()
            .any(|(name, at)| name == peer && *at >= restarted);
        if !again {
            return Err(format!("{peer} never registered with the restarted relay"));
        }
    }
    Ok(())
}

/// `peer-a` and `peer-b` are partitioned mid-transfer for `fault_for`;
/// both keep reaching the relay meanwhile.
async fn partition(plan: Plan, world: &World, log: &RelayLog) -> Result<(), String> {
    let cut = mid_transfer(plan, world).await?;
    let net = sim_net::net().map_err(|e| e.to_string())?;
    net.partition(PEERS[0], PEERS[1])
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(plan.fault_for).await;
    net.heal(PEERS[0], PEERS[1]).map_err(|e| e.to_string())?;
    let healed = virtual_now();
    for peer in PEERS {
        let during = log
            .registrations()
            .iter()
            .filter(|(name, at)| name == peer && *at > cut && *at < healed)
            .count();
        if during == 0 {
            return Err(format!(
                "{peer} could not reach the relay during the partition"
            ));
        }
    }
    both_done(world).await;
    let b = &world.peers[1];
    if b.done_at.get() <= Some(healed) {
        return Err("peer-b finished its download during the partition".into());
    }
    if b.attempts.get() != 1 {
        return Err(format!(
            "peer-b needed {} attempts: the partition should stall its connection, not break it",
            b.attempts.get()
        ));
    }
    Ok(())
}
