//! Simulated network (work in progress): see `model` for the sans-IO state machines.
pub mod model;
