//! A tonic service and client on the simulated network, with a partition.
//! The guide's chapter "gRPC with tonic" shows this file; `cargo test`
//! runs it (scenarios/tests/grpc.rs).
//!
//! ```text
//! cargo run -p scenarios --example grpc_hello
//! ```

use std::time::Duration;

use scenarios::pinger::proto::pinger_client::PingerClient;
use scenarios::pinger::proto::pinger_server::{Pinger, PingerServer};
use scenarios::pinger::proto::{PingReply, PingRequest, PingStreamRequest};
use sim_net::{LinkConfig, Net};
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};

/// The service: what users write, unchanged for the simulation.
struct Hello;

#[tonic::async_trait]
impl Pinger for Hello {
    async fn ping(&self, request: Request<PingRequest>) -> Result<Response<PingReply>, Status> {
        let peer = request
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let PingRequest { seq, payload } = request.into_inner();
        Ok(Response::new(PingReply {
            seq,
            index: 0,
            payload,
            peer,
        }))
    }

    type PingStreamStream = tokio_stream::Iter<std::vec::IntoIter<Result<PingReply, Status>>>;

    async fn ping_stream(
        &self,
        request: Request<PingStreamRequest>,
    ) -> Result<Response<Self::PingStreamStream>, Status> {
        let PingStreamRequest {
            seq,
            count,
            payload,
        } = request.into_inner();
        let replies = (0..count).map(|index| {
            let payload = payload.clone();
            Ok(PingReply {
                seq,
                index,
                payload,
                peer: String::new(),
            })
        });
        Ok(Response::new(tokio_stream::iter(
            replies.collect::<Vec<_>>(),
        )))
    }
}

pub fn main() {
    sim_core::Harness::new().seeds(0..3).run(|sim| {
        sim.host("server", || async {
            // Production code: tonic binds its own tokio::net listener.
            Server::builder()
                .add_service(PingerServer::new(Hello))
                .serve("0.0.0.0:50051".parse()?)
                .await?;
            Ok(())
        });
        sim.client("client", async {
            // ...and tonic's own channel: `server` is found through the
            // simulation's DNS, the connection is a simulated TCP stream.
            let channel = Channel::from_static("http://server:50051")
                .connect()
                .await?;
            let mut client = PingerClient::new(channel);

            let t0 = tokio::time::Instant::now();
            let request = PingRequest {
                seq: 1,
                payload: b"hello".to_vec(),
            };
            let reply = client.ping(request).await?.into_inner();
            assert_eq!(reply.payload, b"hello");
            assert_eq!(reply.peer, "10.0.0.2:49152"); // the client's first ephemeral port
            assert_eq!(t0.elapsed(), Duration::from_millis(10)); // one round trip

            let request = PingStreamRequest {
                seq: 2,
                count: 3,
                payload: vec![],
            };
            let mut stream = client.ping_stream(request).await?.into_inner();
            let mut indices = Vec::new();
            while let Some(reply) = stream.message().await? {
                indices.push(reply.index);
            }
            assert_eq!(indices, [0, 1, 2]);

            // Across a partition, a deadline expires on the virtual clock,
            // exactly on time (tonic reports it as Cancelled).
            sim_net::net()?.partition("client", "server")?;
            let mut request = Request::new(PingRequest {
                seq: 3,
                payload: vec![],
            });
            request.set_timeout(Duration::from_millis(300));
            let t1 = tokio::time::Instant::now();
            let status = client.ping(request).await.unwrap_err();
            assert_eq!(status.code(), Code::Cancelled);
            assert_eq!(t1.elapsed(), Duration::from_millis(300));
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(5_000_000)) // 5 ms each way
            .install(sim);
    });
    println!("grpc_hello: 3 seeds passed");
}
