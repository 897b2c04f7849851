//! The Pinger gRPC service: the code tonic-prost-build generates from
//! `proto/pinger.proto` ([`proto`]), and [`PingService`], the server the
//! `grpc-ping` scenario and the `grpc` benchmark run.
//!
//! ```
//! use scenarios::pinger::proto::PingRequest;
//! use prost::Message;
//!
//! // Real protobuf: field 1 (varint 7), field 2 (2 bytes).
//! let bytes = PingRequest { seq: 7, payload: b"hi".to_vec() }.encode_to_vec();
//! assert_eq!(bytes, [0x08, 7, 0x12, 2, b'h', b'i']);
//! ```

use tonic::{Request, Response, Status};

use proto::pinger_server::Pinger;
use proto::{PingReply, PingRequest, PingStreamRequest};

/// The messages, client and server generated from `proto/pinger.proto`
/// by `build.rs`.
#[allow(missing_docs, clippy::all, clippy::pedantic)] // generated code
pub mod proto {
    tonic::include_proto!("pinger");
}

/// The server: replies carry the request's number and payload back, with
/// the client's address as tonic saw it (`request.remote_addr()`).
#[derive(Clone, Copy, Debug, Default)]
pub struct PingService;

/// The address a reply reports: the peer's `ip:port`, or an empty string
/// if the transport gave none (which the scenario reports as a failure).
fn peer_of<T>(request: &Request<T>) -> String {
    request
        .remote_addr()
        .map(|a| a.to_string())
        .unwrap_or_default()
}

#[tonic::async_trait]
impl Pinger for PingService {
    async fn ping(&self, request: Request<PingRequest>) -> Result<Response<PingReply>, Status> {
        let peer = peer_of(&request);
        let PingRequest { seq, payload } = request.into_inner();
        Ok(Response::new(PingReply {
            seq,
            index: 0,
            payload,
            peer,
        }))
    }

    /// Every reply is ready at once: the whole stream leaves in one flight.
    type PingStreamStream = tokio_stream::Iter<std::vec::IntoIter<Result<PingReply, Status>>>;

    async fn ping_stream(
        &self,
        request: Request<PingStreamRequest>,
    ) -> Result<Response<Self::PingStreamStream>, Status> {
        let peer = peer_of(&request);
        let PingStreamRequest {
            seq,
            count,
            payload,
        } = request.into_inner();
        let replies: Vec<_> = (0..count)
            .map(|index| {
                Ok(PingReply {
                    seq,
                    index,
                    payload: payload.clone(),
                    peer: peer.clone(),
                })
            })
            .collect();
        Ok(Response::new(tokio_stream::iter(replies)))
    }
}
