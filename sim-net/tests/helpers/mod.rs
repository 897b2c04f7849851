//! The helpers of sim-net's two test binaries, `model` (the sans-IO model
//! driven directly) and `sockets` (the socket types inside simulations):
//! one set, included by both (`#[path]` in each `main.rs`).
#![allow(dead_code)]

pub mod model;
pub mod sockets;
