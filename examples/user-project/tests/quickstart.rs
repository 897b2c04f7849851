//! The test the guide's "Set up your project" page shows, verbatim.

use std::time::Duration;

use sim_core::harness::Isolation;
use sim_core::Harness;
use sim_net::Net;
use tokio::net::{TcpListener, TcpStream};

#[test]
fn the_client_sees_the_killed_server_close_its_connection() {
    Harness::new()
        .seeds(0..100)
        // Each seed in a fresh process: exact replay without tokio_unstable.
        .isolation(Isolation::Process)
        .run(|sim| {
            sim.host("server", || async {
                let listener = TcpListener::bind(("0.0.0.0", 4000)).await?;
                loop {
                    let (stream, _) = listener.accept().await?;
                    // Holds the connection until the process dies.
                    tokio::task::spawn_local(async move {
                        let _stream = stream;
                        std::future::pending::<()>().await
                    });
                }
            });
            sim.client("client", async {
                let mut stream = TcpStream::connect(("server", 4000)).await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
                sim_core::kill("server")?;
                // The kernel closes a killed process's sockets: EOF.
                let mut buf = [0u8; 16];
                let n = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await?;
                assert_eq!(n, 0);
                Ok(())
            });
            Net::builder().install(sim);
        });
}
