//! The replicas' wire protocol: one request line per TCP connection, one
//! reply (a line, or lines ending with `END` for a dump).
//!
//! | request | who asks | reply |
//! |---|---|---|
//! | `PUT key version value` | the client, of a coordinator | `OK` (a quorum stored it) or `FAIL` |
//! | `GET key` | the client, of a coordinator | `VAL version value` (`VAL 0 -`: never written) or `FAIL` |
//! | `STORE key version value` | a coordinator, of a peer | `STORED` |
//! | `FETCH key` | a coordinator, of a peer | `VAL version value` |
//! | `DUMP` | a restarted replica, of a peer | `E key version value` per key, then `END` |
//!
//! Keys and values hold no spaces; versions are the client's, increasing
//! per key, and a replica keeps the highest version it has seen.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::PORT;

/// A versioned value (version 0: never written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Versioned {
    /// The client's version of the write.
    pub version: u64,
    /// The value written.
    pub value: String,
}

impl Versioned {
    /// `version value`, as the protocol writes it.
    pub fn encode(&self) -> String {
        let value = if self.value.is_empty() {
            "-"
        } else {
            &self.value
        };
        format!("{} {value}", self.version)
    }

    /// Parses `version value`.
    pub fn decode(version: &str, value: &str) -> io::Result<Versioned> {
        let version = version.parse().map_err(|_| bad(version))?;
        let value = if value == "-" { "" } else { value };
        Ok(Versioned {
            version,
            value: value.to_string(),
        })
    }
}

/// The error for a line the protocol does not expect.
pub fn bad(line: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected line `{line}`"),
    )
}

/// Sends `request` to `host` and reads reply lines until one for which
/// `last` holds, all within `timeout`.
pub async fn ask(
    host: &str,
    request: &str,
    timeout: Duration,
    last: impl Fn(&str) -> bool,
) -> io::Result<Vec<String>> {
    let exchange = async {
        let stream = TcpStream::connect((host, PORT)).await?;
        let mut stream = BufReader::new(stream);
        stream
            .get_mut()
            .write_all(format!("{request}\n").as_bytes())
            .await?;
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("`{host}` closed before answering `{request}`"),
                ));
            }
            let line = line.trim_end().to_string();
            let done = last(&line);
            lines.push(line);
            if done {
                return Ok(lines);
            }
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("`{host}` did not answer")))?
}

/// [`ask`] for a one-line reply.
pub async fn ask_line(host: &str, request: &str, timeout: Duration) -> io::Result<String> {
    let mut lines = ask(host, request, timeout, |_| true).await?;
    Ok(lines.pop().unwrap_or_default())
}
