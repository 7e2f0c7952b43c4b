//! Buffered reading and writing on one SMTP connection (after tokio-rs/mini-redis's
//! `connection.rs`): the session loop asks for whole command lines or message data and
//! queues replies; this type owns the buffers, the line-length limit and the time-outs.
//!
//! Replies are queued and written only when the client is waiting for them, that is when
//! no further whole command is already buffered (RFC 2920 PIPELINING: a client may send a
//! group of commands at once and read the replies together).

use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::session::{DataReader, Reply};

/// A client stream: TCP in production, an in-memory pipe in tests.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Called after every successful read.
    fn after_read(&self) {}
}

impl Stream for tokio::net::TcpStream {
    fn after_read(&self) {
        // Postfix writes with Nagle's algorithm on; a delayed ACK from this side can stall
        // its last segment of the data (the final `.` line) by ~40 ms. Linux leaves
        // quick-ack mode by itself, so this is repeated after every read (as the milter).
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
        {
            let _ = self.set_quickack(true);
        }
    }
}

impl Stream for tokio::io::DuplexStream {}

/// Why the connection cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The peer closed the connection.
    #[error("connection closed by the client")]
    Closed,
    /// The peer said nothing for too long.
    #[error("client silent for {0:?}")]
    Timeout(Duration),
    /// Reading or writing failed.
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
}

/// One command line, or a line that was too long (and thrown away).
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line, with its line end.
    Command(Vec<u8>),
    /// A line longer than the limit arrived; it was discarded up to its end.
    TooLong,
}

/// A client connection: the stream, the input buffer and the queued replies.
#[derive(Debug)]
pub struct Connection<S> {
    stream: S,
    buffer: BytesMut,
    out: Vec<u8>,
    /// Discarding the rest of an over-long line.
    skipping: bool,
}

/// How long a write may wait for the client to read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

impl<S: Stream> Connection<S> {
    /// Wraps a stream.
    pub fn new(stream: S) -> Self {
        Connection {
            stream,
            buffer: BytesMut::with_capacity(16 * 1024),
            out: Vec::with_capacity(1024),
            skipping: false,
        }
    }

    /// Queues a reply (written before the next read that has to wait, or by
    /// [`Connection::flush`]).
    pub fn queue(&mut self, reply: &Reply) {
        reply.encode(&mut self.out);
    }

    /// Writes the queued replies.
    pub async fn flush(&mut self) -> Result<(), ConnectionError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(WRITE_TIMEOUT, write).await {
            Ok(r) => r?,
            Err(_) => return Err(ConnectionError::Timeout(WRITE_TIMEOUT)),
        }
        self.out.clear();
        Ok(())
    }

    /// Reads more input into the buffer, flushing the queued replies first (the client
    /// waits for them).
    async fn fill(&mut self, timeout: Duration) -> Result<(), ConnectionError> {
        self.flush().await?;
        match tokio::time::timeout(timeout, self.stream.read_buf(&mut self.buffer)).await {
            Err(_) => Err(ConnectionError::Timeout(timeout)),
            Ok(Ok(0)) => Err(ConnectionError::Closed),
            Ok(Ok(_)) => {
                self.stream.after_read();
                Ok(())
            }
            Ok(Err(e)) => Err(e.into()),
        }
    }

    /// Whether input is buffered (the client pipelined).
    pub fn has_input(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// The next command line, at most `max` bytes with its line end; waits at most
    /// `timeout` for each read.
    pub async fn read_line(
        &mut self,
        max: usize,
        timeout: Duration,
    ) -> Result<Line, ConnectionError> {
        loop {
            match memchr::memchr(b'\n', &self.buffer) {
                Some(i) => {
                    let line = self.buffer.split_to(i + 1);
                    if self.skipping {
                        self.skipping = false;
                        return Ok(Line::TooLong);
                    }
                    if line.len() > max {
                        return Ok(Line::TooLong);
                    }
                    return Ok(Line::Command(line.to_vec()));
                }
                None if self.skipping || self.buffer.len() > max => {
                    self.skipping = true;
                    self.buffer.clear();
                }
                None => {}
            }
            self.fill(timeout).await?;
        }
    }

    /// Reads message data into `reader` until the terminating `.` line; waits at most
    /// `timeout` for each read.
    pub async fn read_data(
        &mut self,
        reader: &mut DataReader,
        timeout: Duration,
    ) -> Result<(), ConnectionError> {
        // The 354 must reach the client before it sends the data.
        self.flush().await?;
        loop {
            let fed = reader.feed(&self.buffer);
            self.buffer.advance(fed.consumed);
            if fed.done {
                return Ok(());
            }
            self.fill(timeout).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn lines_long_lines_and_pipelined_data() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let mut conn = Connection::new(server);
        let (mut rd, mut wr) = tokio::io::split(client);
        let t = Duration::from_secs(5);
        wr.write_all(b"EHLO x\r\nMAIL FROM:<a@b>\r\n")
            .await
            .unwrap();
        assert_eq!(
            conn.read_line(100, t).await.unwrap(),
            Line::Command(b"EHLO x\r\n".to_vec())
        );
        conn.queue(&Reply::new(250, "2.0.0", "a"));
        // A whole command is buffered: nothing written yet.
        assert!(conn.has_input());
        assert_eq!(
            conn.read_line(100, t).await.unwrap(),
            Line::Command(b"MAIL FROM:<a@b>\r\n".to_vec())
        );
        conn.queue(&Reply::new(250, "2.1.0", "b"));
        let long = format!("{}\r\nNOOP\r\n", "x".repeat(300));
        wr.write_all(long.as_bytes()).await.unwrap();
        assert_eq!(conn.read_line(100, t).await.unwrap(), Line::TooLong);
        assert_eq!(
            conn.read_line(100, t).await.unwrap(),
            Line::Command(b"NOOP\r\n".to_vec())
        );
        // Waiting for the long line's end flushed both replies, in order.
        let mut got = vec![0u8; 26];
        tokio::io::AsyncReadExt::read_exact(&mut rd, &mut got)
            .await
            .unwrap();
        assert_eq!(got, b"250 2.0.0 a\r\n250 2.1.0 b\r\n");
        wr.write_all(b"..x\r\n.\r\nQUIT\r\n").await.unwrap();
        let mut r = DataReader::new(100);
        conn.read_data(&mut r, t).await.unwrap();
        assert_eq!(r.into_data(), b".x\r\n");
        assert_eq!(
            conn.read_line(100, t).await.unwrap(),
            Line::Command(b"QUIT\r\n".to_vec())
        );
        drop(wr);
        drop(rd);
    }

    /// The session loop of the server, minus the relay (every message is "delivered").
    async fn drive(chunks: Vec<Vec<u8>>) -> (Vec<u8>, Vec<Vec<u8>>) {
        use super::super::session::{Action, Delivery, MAX_COMMAND_LINE, Session, SessionConfig};
        let (client, server) = tokio::io::duplex(1 << 20);
        let (mut rd, mut wr) = tokio::io::split(client);
        let writer = tokio::spawn(async move {
            for c in chunks {
                wr.write_all(&c).await.unwrap();
                tokio::task::yield_now().await;
            }
            wr
        });
        let t = Duration::from_secs(5);
        let mut conn = Connection::new(server);
        let mut s = Session::new(SessionConfig::default());
        let mut messages = Vec::new();
        conn.queue(&s.greeting());
        while let Ok(line) = conn.read_line(MAX_COMMAND_LINE, t).await {
            let action = match line {
                Line::TooLong => s.line_too_long(),
                Line::Command(l) => s.command(&l),
            };
            match action {
                Action::Reply(r) => conn.queue(&r),
                Action::NextHop(_) => {
                    conn.queue(&s.next_hop_answer(&Delivery::Accepted("ok".into())))
                }
                Action::Close(r) => {
                    conn.queue(&r);
                    conn.flush().await.unwrap();
                    break;
                }
                Action::ReadData(r) => {
                    conn.queue(&r);
                    let mut reader = s.data_reader();
                    conn.read_data(&mut reader, t).await.unwrap();
                    match s.data_end(reader) {
                        Ok(txn) => {
                            messages.push(txn.data);
                            for r in s.delivered(&Delivery::Accepted("ok".into())) {
                                conn.queue(&r);
                            }
                        }
                        Err(replies) => replies.iter().for_each(|r| conn.queue(r)),
                    }
                }
            }
        }
        drop(conn);
        let _wr = writer.await.unwrap();
        let mut out = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut rd, &mut out)
            .await
            .unwrap();
        (out, messages)
    }

    proptest::proptest! {
        /// A pipelined client may split its bytes anywhere: the replies (in order) and the
        /// message received are always the same.
        #[test]
        fn pipelined_input_split_anywhere(
            lines in proptest::collection::vec("[.a-z ]{0,10}", 0..12),
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let mut message = Vec::new();
            let mut wire = b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\nDATA\r\n".to_vec();
            for l in &lines {
                message.extend_from_slice(l.as_bytes());
                message.extend_from_slice(b"\r\n");
                if l.starts_with('.') {
                    wire.push(b'.');
                }
                wire.extend_from_slice(l.as_bytes());
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b".\r\nNOOP\r\nQUIT\r\n");
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(wire.len())).collect();
            points.sort();
            points.dedup();
            let mut chunks = Vec::new();
            let mut from = 0;
            for p in points.into_iter().chain([wire.len()]) {
                if p > from {
                    chunks.push(wire[from..p].to_vec());
                    from = p;
                }
            }
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (out, messages) = rt.block_on(drive(chunks));
            let out = String::from_utf8(out).unwrap();
            let codes: Vec<&str> = out
                .lines()
                .filter(|l| l.as_bytes().get(3) != Some(&b'-'))
                .map(|l| &l[..3])
                .collect();
            proptest::prop_assert_eq!(codes, ["220", "250", "250", "250", "250", "354", "250", "250", "221"]);
            proptest::prop_assert_eq!(messages, vec![message]);
        }
    }
}
