//! hyper 1.x on the simulated network (feature `hyper`).
//!
//! - [`HyperIo`]: a [`TcpStream`] seen through hyper's `rt::Read` and
//!   `rt::Write`, for `hyper::server::conn` and `hyper::client::conn`
//!   (what hyper-util's `TokioIo` does for a tokio stream);
//! - [`Connector`]: the connector of hyper-util's legacy `Client`
//!   (`Client::builder(..).build(Connector::new())`): it dials the URI's host
//!   through the simulation's DNS, so `http://server/` reaches the host named
//!   `server`.
//!
//! Both are `Send`, as hyper requires; everything still runs on the
//! simulation's thread. There is no TLS: an `https` URI dials port 443 in
//! plain TCP, so wrap the connector in a TLS connector if the test needs one.
//!
//! A server on `hyper::server::conn` and a client on the legacy `Client`
//! (this is `sim-net/examples/hyper_client.rs`):
//!
#![doc = "```"]
#![doc = include_str!("../../examples/hyper_client.rs")]
#![doc = "```"]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ::hyper::rt::{Read, ReadBufCursor, Write};
use ::hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;

use crate::TcpStream;

/// A simulated [`TcpStream`] with hyper's I/O traits (`hyper::rt::Read`
/// and `Write`), and hyper-util's `Connection` for the legacy client.
///
/// ```no_run
/// # async fn f(stream: sim_net::TcpStream) -> Result<(), hyper::Error> {
/// use http_body_util::Empty;
/// use sim_net::hyper::HyperIo;
///
/// let (mut sender, conn) =
///     hyper::client::conn::http1::handshake::<_, Empty<bytes::Bytes>>(HyperIo::new(stream)).await?;
/// tokio::spawn(conn);
/// let request = hyper::Request::get("/").header("host", "server").body(Empty::new()).unwrap();
/// let response = sender.send_request(request).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct HyperIo {
    inner: TokioIo<TcpStream>,
}

impl HyperIo {
    /// Wraps a connected stream.
    pub fn new(stream: TcpStream) -> HyperIo {
        HyperIo {
            inner: TokioIo::new(stream),
        }
    }

    /// The stream, for its addresses and fault injection.
    pub fn get_ref(&self) -> &TcpStream {
        self.inner.inner()
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> TcpStream {
        self.inner.into_inner()
    }
}

impl From<TcpStream> for HyperIo {
    fn from(stream: TcpStream) -> HyperIo {
        HyperIo::new(stream)
    }
}

impl Read for HyperIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for HyperIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The addresses of a connection the [`Connector`] made. The legacy client
/// puts it in every response's extensions (hyper-util's `HttpInfo` plays
/// this part for real sockets, but cannot be built outside hyper-util).
///
/// ```no_run
/// # fn f(response: hyper::Response<hyper::body::Incoming>) {
/// let info = response.extensions().get::<sim_net::hyper::PeerInfo>().unwrap();
/// println!("{} -> {}", info.local_addr, info.remote_addr);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The client's end.
    pub local_addr: SocketAddr,
    /// The server's end.
    pub remote_addr: SocketAddr,
}

impl Connection for HyperIo {
    fn connected(&self) -> Connected {
        let stream = self.get_ref();
        match (stream.local_addr(), stream.peer_addr()) {
            (Ok(local_addr), Ok(remote_addr)) => Connected::new().extra(PeerInfo {
                local_addr,
                remote_addr,
            }),
            // A connection that already failed: the request will report it.
            _ => Connected::new(),
        }
    }
}

/// The connector of hyper-util's legacy client on the simulated network: a
/// `tower::Service<Uri>` that dials the URI's host and port (default 80, or
/// 443 for `https`) through the simulation's DNS.
///
/// ```no_run
/// use http_body_util::Full;
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// use sim_net::hyper::Connector;
///
/// let client: Client<Connector, Full<bytes::Bytes>> =
///     Client::builder(TokioExecutor::new()).build(Connector::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Connector {
    connect_timeout: Option<Duration>,
}

/// The future of a connection being made by [`Connector`].
pub type Connecting = Pin<Box<dyn Future<Output = io::Result<HyperIo>> + Send>>;

impl Connector {
    /// A connector with the network's own connect timeout (SYN retries for
    /// `TcpConfig::connect_timeout`, 127 s by default, as on Linux).
    pub fn new() -> Connector {
        Connector::default()
    }

    /// Gives up connecting after `timeout` with `TimedOut` (hyper-util's
    /// `HttpConnector::set_connect_timeout`); requests to a crashed or
    /// partitioned host then fail fast.
    pub fn connect_timeout(mut self, timeout: Duration) -> Connector {
        self.connect_timeout = Some(timeout);
        self
    }
}

/// The host and port a URI names, as the simulation's DNS takes them.
fn target(uri: &Uri) -> io::Result<(String, u16)> {
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{uri}` names no host: the client needs an absolute URI like http://server/"),
        )
    })?;
    let default_port = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    Ok((host.to_string(), uri.port_u16().unwrap_or(default_port)))
}

impl tower::Service<Uri> for Connector {
    type Response = HyperIo;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        let timeout = self.connect_timeout;
        Box::pin(async move {
            let (host, port) = target(&uri)?;
            let dial = TcpStream::connect((host, port));
            let stream = match timeout {
                None => dial.await?,
                Some(t) => tokio::time::timeout(t, dial).await.map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("connecting to {uri} timed out after {t:?}"),
                    )
                })??,
            };
            Ok(HyperIo::new(stream))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_of_a_uri_defaults_its_port_by_scheme() {
        let t = |s: &str| target(&s.parse().unwrap()).map_err(|e| e.kind());
        assert_eq!(t("http://server/x"), Ok(("server".into(), 80)));
        assert_eq!(t("https://server/"), Ok(("server".into(), 443)));
        assert_eq!(t("http://server:8080"), Ok(("server".into(), 8080)));
        assert_eq!(t("http://[::1]:9/"), Ok(("[::1]".into(), 9)));
        assert_eq!(t("/relative"), Err(io::ErrorKind::InvalidInput));
    }
}
