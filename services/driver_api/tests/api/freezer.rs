//! A TCP forwarder in front of a service that can be frozen, standing in for SIGSTOP on a
//! service run in this process: while frozen, connections are accepted (the kernel of a
//! stopped process completes handshakes too) and bytes are read, but nothing is passed on in
//! either direction; on thaw everything held is passed on, so requests the caller has given
//! up on still reach the service, as they do when a stopped process is continued.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The forwarder; stops listening when dropped.
pub(crate) struct Freezer {
    /// Its base URL, to give callers instead of the service's.
    pub(crate) url: String,
    frozen: watch::Sender<bool>,
    listener: JoinHandle<()>,
}

impl Freezer {
    /// Forwards a free port to `upstream` (`http://127.0.0.1:PORT`).
    pub(crate) async fn start(upstream: &str) -> Self {
        let target = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let frozen = watch::Sender::new(false);
        let gate = frozen.subscribe();
        let listener = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (target, gate) = (target.clone(), gate.clone());
                tokio::spawn(async move {
                    let Ok(upstream) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (upstream_read, upstream_write) = upstream.into_split();
                    let up = tokio::spawn(pump(client_read, upstream_write, gate.clone()));
                    pump(upstream_read, client_write, gate).await;
                    up.abort();
                });
            }
        });
        Self {
            url,
            frozen,
            listener,
        }
    }

    /// Holds every byte from now on.
    pub(crate) fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Passes on what was held, and everything after.
    pub(crate) fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

impl Drop for Freezer {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Copies `from` to `to`, each chunk only while not frozen, until either side closes.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut gate: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if gate.wait_for(|frozen| !frozen).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
