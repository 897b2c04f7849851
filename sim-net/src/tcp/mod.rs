//! TCP sockets with tokio's API, on the simulated network.
//!
//! [`TcpListener`], [`TcpStream`] and [`TcpSocket`] have tokio's method names and
//! `AsyncRead`/`AsyncWrite`, so code written for `tokio::net` works after
//! changing the import. Behind them is the model's TCP: byte-based buffers
//! with backpressure, a window that travels with latency, retransmission
//! under loss, RST on drop with unread data, and so on (see the guide's
//! network chapter).
//!
//! ```
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use sim_net::{Net, TcpListener, TcpStream};
//!
//! std::thread::spawn(|| {
//!     let mut sim = sim_core::Builder::new().build();
//!     sim.host("server", || async {
//!         let listener = TcpListener::bind("0.0.0.0:7").await?;
//!         loop {
//!             let (mut stream, _) = listener.accept().await?;
//!             tokio::task::spawn_local(async move {
//!                 let mut buf = [0u8; 64];
//!                 while let Ok(n) = stream.read(&mut buf).await {
//!                     if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
//!                         break;
//!                     }
//!                 }
//!             });
//!         }
//!     });
//!     sim.client("client", async {
//!         let mut stream = TcpStream::connect("server:7").await?;
//!         stream.write_all(b"ping").await?;
//!         let mut buf = [0u8; 4];
//!         stream.read_exact(&mut buf).await?;
//!         assert_eq!(&buf, b"ping");
//!         Ok(())
//!     });
//!     Net::install(&mut sim);
//!     sim.run().unwrap();
//! }).join().unwrap();
//! ```

mod listener;
mod socket;
mod split;
mod stream;
mod stream_options;
mod stream_ready;

pub(crate) use listener::close_socket as listener_close;
pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;
