//! [`Caller`]: the `grpc-ping` client's calls, each checked against what it
//! sent and timed on the virtual clock.
//!
//! A reply must carry the request's number and payload back, with the
//! stream index it should have, and name the client's address as the
//! server saw it (so `request.remote_addr()` works on tonic's own transport).

use std::net::IpAddr;
use std::time::Duration;

use rand::{Rng, RngCore};
use sim_core::{BoxError, SimRng};
use tokio::time::Instant;
use tonic::transport::Channel;
use tonic::{Request, Status};

use crate::pinger::proto::pinger_client::PingerClient;
use crate::pinger::proto::{PingReply, PingRequest, PingStreamRequest};

/// Bounds of a payload's length: from empty to a few segments.
const PAYLOAD_LEN: std::ops::RangeInclusive<usize> = 0..=4096;
/// Bounds of a stream's length; with the longest payload the whole stream
/// (64 KiB and framing) fits the default windows, so it crosses in one flight.
const STREAM_LEN: std::ops::RangeInclusive<u32> = 1..=12;

/// Which of the two methods a call uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `Ping`: one reply.
    Unary,
    /// `PingStream`: a seed-drawn number of replies.
    Stream,
}

/// The client side of the scenario: a generated client on a simulated
/// channel, the host's random stream, and the client's own address.
pub struct Caller {
    client: PingerClient<Channel>,
    rng: SimRng,
    seq: u64,
    own_ip: IpAddr,
}

impl Caller {
    /// A caller on `channel`, for a client whose address is `own_ip`.
    pub fn new(channel: Channel, own_ip: IpAddr) -> Caller {
        Caller {
            client: PingerClient::new(channel),
            rng: sim_core::rng(),
            seq: 0,
            own_ip,
        }
    }

    /// Makes call number `seq` (with an optional deadline) and checks every
    /// reply. `Err(Ok(status))` is a failed call, `Err(Err(_))` a wrong reply.
    pub async fn call(
        &mut self,
        method: Method,
        timeout: Option<Duration>,
    ) -> Result<(), Result<Status, BoxError>> {
        self.seq += 1;
        let seq = self.seq;
        let mut payload = vec![0u8; self.rng.random_range(PAYLOAD_LEN)];
        self.rng.fill_bytes(&mut payload);
        match method {
            Method::Unary => {
                let mut request = Request::new(PingRequest {
                    seq,
                    payload: payload.clone(),
                });
                if let Some(t) = timeout {
                    request.set_timeout(t);
                }
                let reply = self.client.ping(request).await.map_err(Ok)?.into_inner();
                self.check(&reply, seq, 0, &payload).map_err(Err)
            }
            Method::Stream => {
                let count = self.rng.random_range(STREAM_LEN);
                let mut request = Request::new(PingStreamRequest {
                    seq,
                    count,
                    payload: payload.clone(),
                });
                if let Some(t) = timeout {
                    request.set_timeout(t);
                }
                let mut replies = self.client.ping_stream(request).await.map_err(Ok)?;
                let mut index = 0;
                while let Some(reply) = replies.get_mut().message().await.map_err(Ok)? {
                    self.check(&reply, seq, index, &payload).map_err(Err)?;
                    index += 1;
                }
                if index != count {
                    return Err(Err(format!(
                        "call {seq}: the stream ended after {index} of {count} replies"
                    )
                    .into()));
                }
                Ok(())
            }
        }
    }

    /// Makes a call that must succeed; returns how long it took.
    pub async fn must_succeed(&mut self, method: Method, what: &str) -> Result<Duration, BoxError> {
        let started = Instant::now();
        match self.call(method, None).await {
            Ok(()) => Ok(started.elapsed()),
            Err(Ok(status)) => {
                Err(format!("{what}: {method:?} call {} failed: {status:?}", self.seq).into())
            }
            Err(Err(wrong)) => Err(format!("{what}: {wrong}").into()),
        }
    }

    fn check(
        &self,
        reply: &PingReply,
        seq: u64,
        index: u32,
        payload: &[u8],
    ) -> Result<(), BoxError> {
        if reply.seq != seq || reply.index != index {
            return Err(format!(
                "call {seq}: expected reply {index}, got reply {} of call {}",
                reply.index, reply.seq
            )
            .into());
        }
        if reply.payload != payload {
            return Err(format!(
                "call {seq}: reply {index} carries {} bytes that differ from the {} sent",
                reply.payload.len(),
                payload.len()
            )
            .into());
        }
        let peer_ip = reply.peer.parse::<std::net::SocketAddr>().map(|a| a.ip());
        if peer_ip != Ok(self.own_ip) {
            return Err(format!(
                "call {seq}: the server saw the client as `{}`, expected {} (request.remote_addr())",
                reply.peer, self.own_ip
            )
            .into());
        }
        Ok(())
    }
}
