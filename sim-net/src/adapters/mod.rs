//! Adapters that plug the simulated sockets into frameworks, each behind a
//! cargo feature of its own and re-exported at the crate root under the
//! framework's name (`sim_net::tonic`, ...).

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "tonic")]
pub mod tonic;
