//! The sans-IO network model (`sim_net::model`) driven directly, without a
//! simulation: the guide's behaviour table at the model level, links,
//! TCP, UDP, congestion control, property tests, and the model's layout.

#[path = "../helpers/mod.rs"]
mod helpers;

mod congestion;
mod links;
mod properties;
mod structure;
mod tcp;
mod udp;
