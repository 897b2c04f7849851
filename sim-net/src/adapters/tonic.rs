//! gRPC with [tonic] over the simulated network (cargo feature `tonic`).
//!
//! Two calls plug tonic's transport into the simulation:
//!
//! - server: [`incoming`] turns a simulated [`TcpListener`] into the stream
//!   of connections that `Server::builder()...serve_with_incoming` takes.
//!   [`TcpStream`] implements tonic's [`Connected`], so
//!   `request.remote_addr()` is the client's simulated address;
//! - client: [`channel`] (or [`channel_lazy`]) makes a [`Channel`] to a URI
//!   such as `http://server:50051`, whose host is resolved through the
//!   simulation's DNS. For an [`Endpoint`] with settings of its own (a
//!   `timeout`, a `connect_timeout`, HTTP/2 windows), pass a [`Connector`]
//!   to `Endpoint::connect_with_connector`.
//!
//! Everything else is tonic's: codegen, deadlines, status codes, streaming.
//! Deadlines run on the virtual clock, so a call with a 500 ms timeout
//! across a partition fails exactly 500 virtual ms after it started (tonic
//! reports an expired client deadline as `Code::Cancelled`, "Timeout
//! expired").
//!
//! ```
//! use std::time::Duration;
//! use sim_net::{LinkConfig, Net, TcpListener};
//! use tonic::transport::Server;
//!
//! std::thread::spawn(|| {
//!     let mut sim = sim_core::Builder::new().seed(1).build();
//!     sim.host("server", || async {
//!         let listener = TcpListener::bind("0.0.0.0:50051").await?;
//!         // Any tonic service goes here; an empty router answers every
//!         // call with `Unimplemented`, enough to see a call cross.
//!         Server::builder()
//!             .add_routes(tonic::service::Routes::default())
//!             .serve_with_incoming(sim_net::tonic::incoming(listener))
//!             .await?;
//!         Ok(())
//!     });
//!     sim.client("client", async {
//!         let t0 = tokio::time::Instant::now();
//!         let channel = sim_net::tonic::channel("http://server:50051").await?;
//!         assert_eq!(t0.elapsed(), Duration::from_millis(20)); // the TCP handshake
//!
//!         // What generated clients do underneath: `()` is protobuf's Empty.
//!         let mut grpc = tonic::client::Grpc::new(channel);
//!         grpc.ready().await?;
//!         let codec = tonic_prost::ProstCodec::<(), ()>::default();
//!         let t1 = tokio::time::Instant::now();
//!         let path = "/demo.Demo/Call".parse()?;
//!         let status = grpc
//!             .unary(tonic::Request::new(()), path, codec)
//!             .await
//!             .unwrap_err();
//!         assert_eq!(status.code(), tonic::Code::Unimplemented);
//!         assert_eq!(t1.elapsed(), Duration::from_millis(20)); // one round trip
//!         Ok(())
//!     });
//!     Net::builder()
//!         .default_link(LinkConfig::fixed(10_000_000)) // 10 ms, in ns
//!         .install(&mut sim);
//!     sim.run().unwrap();
//! })
//! .join()
//! .unwrap();
//! ```
//!
//! The guide's chapter "gRPC with tonic" has a complete service generated
//! from a `.proto` file (the `grpc_hello` example of the `scenarios` crate).
//!
//! [tonic]: https://docs.rs/tonic/0.14
//! [`Connected`]: tonic::transport::server::Connected

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use hyper_util::rt::TokioIo;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tonic::transport::{Channel, Endpoint, Uri};

use crate::{TcpListener, TcpStream};

/// The connections a simulated listener accepts, as the `Stream` that
/// tonic's `Server::serve_with_incoming` takes. Made by [`incoming`].
#[derive(Debug)]
pub struct Incoming {
    listener: TcpListener,
}

/// Serves tonic on `listener`: pass the result to
/// `Server::builder()...serve_with_incoming`.
///
/// Accept errors (an injected `set_accept_error`, say) are passed on, and
/// tonic skips them and accepts again; the stream ends once the listener
/// is closed.
pub fn incoming(listener: TcpListener) -> Incoming {
    Incoming { listener }
}

impl Incoming {
    /// The listener the connections come from.
    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }
}

impl Stream for Incoming {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.listener.poll_accept(cx) {
            Poll::Ready(Ok((stream, _peer))) => Poll::Ready(Some(Ok(stream))),
            // tonic retries at once after an error; a closed listener would
            // fail forever, so end the stream (and the server) instead.
            Poll::Ready(Err(_)) if self.listener.is_closed() => Poll::Ready(None),
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What `request.remote_addr()` and `request.local_addr()` read on the
/// server: the connection's simulated addresses.
impl Connected for TcpStream {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        TcpConnectInfo {
            local_addr: self.local_addr().ok(),
            remote_addr: self.peer_addr().ok(),
        }
    }
}

/// Connects a [`Channel`] to `uri` (`http://host:port`, the host a name of
/// the simulation or an address) and waits until the connection is up.
///
/// Fails as tonic does when the server cannot be reached: connection
/// refused after one round trip, timed out after the SYN retries across a
/// partition. Use [`Connector`] with an [`Endpoint`] for other settings.
pub async fn channel(uri: impl Into<String>) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(uri.into())?
        .connect_with_connector(Connector)
        .await
}

/// A [`Channel`] to `uri` that connects on its first call (and reconnects
/// after the connection fails), like `Endpoint::connect_lazy`. Call it
/// inside a host: the channel's worker task runs on that host.
pub fn channel_lazy(uri: impl Into<String>) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(uri.into())?.connect_with_connector_lazy(Connector))
}

/// Dials the simulated network for tonic: a `tower::Service<Uri>` that
/// connects a [`TcpStream`] to the URI's host and port (80 by default),
/// for `Endpoint::connect_with_connector` and
/// `Endpoint::connect_with_connector_lazy`.
///
/// ```
/// # async fn demo() -> Result<(), tonic::transport::Error> {
/// use std::time::Duration;
/// use tonic::transport::Endpoint;
///
/// let channel = Endpoint::from_static("http://server:50051")
///     .timeout(Duration::from_secs(1)) // the deadline of every call
///     .connect_with_connector(sim_net::tonic::Connector)
///     .await?;
/// # drop(channel);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Connector;

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<TcpStream>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(async move {
            let host = uri.host().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("cannot connect to `{uri}`: the URI has no host"),
                )
            })?;
            let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
                Some("https") => 443,
                _ => 80,
            });
            let stream = TcpStream::connect((host, port)).await?;
            Ok(TokioIo::new(stream))
        })
    }
}
