//! A small line service, as a user of simnet would have one: every
//! connection gets a session that answers `PING` with `PONG`, passes on the
//! server's notices, and writes to a journal when it ends.
//!
//! Two things in it depend on more than the input: which of two ready
//! `tokio::select!` branches a session serves first, and, when the process
//! dies, the order in which its sessions end (tokio drops the tasks of a
//! runtime in an order of its own). The simulation tests in `tests/` check
//! that both replay from the seed.

use std::cell::RefCell;
use std::rc::Rc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc::UnboundedReceiver;

/// What the service writes down as sessions come and go.
#[derive(Clone, Debug, Default)]
pub struct Journal(Rc<RefCell<Vec<String>>>);

impl Journal {
    /// Adds a line.
    pub fn write(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Writes `ended <name>` to the journal when dropped: when the session's
/// task ends, returns or is dropped with its runtime.
struct SessionEnd {
    journal: Journal,
    name: String,
}

impl Drop for SessionEnd {
    fn drop(&mut self) {
        self.journal.write(format!("ended {}", self.name));
    }
}

/// Serves one connection: `PING` lines get `PONG`, and every notice sent
/// to `outbox` goes out as a line of its own. A session whose first line
/// and first notice are both waiting has two ready branches to choose from,
/// and `select!` picks one at random.
pub async fn session<S>(
    stream: S,
    name: String,
    journal: Journal,
    mut outbox: UnboundedReceiver<String>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _end = SessionEnd {
        journal: journal.clone(),
        name: name.clone(),
    };
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    let mut first = true;
    loop {
        let reply = tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) if line.trim() == "PING" => ("a line", "PONG".to_string()),
                Ok(Some(_)) => ("a line", "ERR unknown command".to_string()),
                _ => return,
            },
            notice = outbox.recv() => match notice {
                Some(notice) => ("a notice", notice),
                None => return,
            },
        };
        if first {
            journal.write(format!("{name} first served {}", reply.0));
            first = false;
        }
        if write
            .write_all(format!("{}\n", reply.1).as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}
