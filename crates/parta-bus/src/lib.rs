//! The cluster's bus for what every node must hear at once: a session signed out or a
//! class's week changed on one node is forgotten by the caches of all (issue 13). One node
//! (a school's) has no one to tell: the bus is silent. With `nats_url` set, messages go
//! through NATS core subjects (`parta.<what>`); each node listens and applies them to its
//! own caches. Nothing durable rides here — a message lost while NATS is away costs at
//! most the caches' own expiry (seconds), never data.

use bytes::Bytes;
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What a listener does with a message's payload.
pub type Handler = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// The bus: silent on one node, NATS for a cluster. Cheap to clone.
#[derive(Clone, Default)]
pub struct Bus(Option<Arc<Nats>>);

struct Nats {
    client: OnceCell<async_nats::Client>,
    /// Subscriptions `on` started after the connection was up and not yet sent.
    pending: std::sync::atomic::AtomicUsize,
    /// Listeners registered before the connection was up (subscribed once it is).
    waiting: Mutex<Vec<(String, Handler)>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Bus(nats)"
        } else {
            "Bus(one node)"
        })
    }
}

impl Bus {
    /// One node: nobody else to tell.
    pub fn single() -> Self {
        Self(None)
    }

    /// A cluster through the NATS server at `url`: connects in the background (again and
    /// again until it succeeds; the client reconnects by itself afterwards). Call inside
    /// the runtime.
    pub fn nats(url: &str) -> Self {
        let nats = Arc::new(Nats {
            client: OnceCell::new(),
            pending: std::sync::atomic::AtomicUsize::new(0),
            waiting: Mutex::new(Vec::new()),
        });
        let (n, url) = (nats.clone(), url.to_string());
        tokio::spawn(async move {
            let client = loop {
                match async_nats::ConnectOptions::new()
                    .name("parta")
                    .connect(&url)
                    .await
                {
                    Ok(c) => break c,
                    Err(e) => {
                        tracing::warn!(error = %e, "the bus (NATS) is not reachable; trying again");
                        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                    }
                }
            };
            // Subscribe what waits, then open the door — under the lock, so that a
            // listener added meanwhile is either subscribed here or by `on` itself.
            loop {
                let waiting = n
                    .waiting
                    .lock()
                    .map(|mut w| std::mem::take(&mut *w))
                    .unwrap_or_default();
                for (subject, handler) in waiting {
                    listen(&client, subject, handler).await;
                }
                let Ok(w) = n.waiting.lock() else { break };
                if w.is_empty() {
                    let _ = n.client.set(client.clone());
                    break;
                }
            }
            tracing::info!("the bus (NATS) is connected");
        });
        Self(Some(nats))
    }

    /// Whether other nodes hear this one.
    pub fn is_cluster(&self) -> bool {
        self.0.is_some()
    }

    /// Whether the connection is up (a cluster's bus; always false on one node).
    pub fn is_connected(&self) -> bool {
        self.0.as_ref().is_some_and(|n| n.client.initialized())
    }

    /// Tells every node (this one too) `payload` on `parta.<subject>`; on one node,
    /// nothing. Never waits for the other nodes and never fails the caller: a message
    /// that cannot leave is logged.
    pub fn publish(&self, subject: &str, payload: impl Into<Bytes>) {
        let Some(n) = &self.0 else { return };
        let Some(client) = n.client.get() else {
            tracing::debug!(subject, "the bus is not connected yet; message dropped");
            return;
        };
        let (client, subject, payload) =
            (client.clone(), format!("parta.{subject}"), payload.into());
        tokio::spawn(async move {
            if let Err(e) = client.publish(subject.clone(), payload).await {
                tracing::warn!(subject, error = %e, "bus message not sent");
            }
        });
    }

    /// Calls `handler` with every message on `parta.<subject>` from any node; on one node
    /// it is never called.
    pub fn on(&self, subject: &str, handler: impl Fn(&[u8]) + Send + Sync + 'static) {
        let Some(n) = &self.0 else { return };
        let (subject, handler): (String, Handler) = (format!("parta.{subject}"), Arc::new(handler));
        let Ok(mut waiting) = n.waiting.lock() else {
            return;
        };
        match n.client.get() {
            Some(client) => {
                let (client, n) = (client.clone(), n.clone());
                n.pending.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    listen(&client, subject, handler).await;
                    n.pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
            None => waiting.push((subject, handler)),
        }
    }

    /// Waits (at most `within`) until the bus is connected and the server has every
    /// listener's subscription — a probe sent to itself came back, and the server handles
    /// a connection's commands in order; on one node at once. `false`: not in time.
    pub async fn ready(&self, within: std::time::Duration) -> bool {
        let Some(n) = &self.0 else { return true };
        let wait = async {
            while n.client.get().is_none()
                || n.pending.load(std::sync::atomic::Ordering::SeqCst) > 0
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let Some(c) = n.client.get() else {
                return false;
            };
            let probe = format!("parta.probe.{}", c.new_inbox());
            let Ok(mut sub) = c.subscribe(probe.clone()).await else {
                return false;
            };
            if c.publish(probe, Bytes::new()).await.is_err() {
                return false;
            }
            sub.next().await.is_some()
        };
        tokio::time::timeout(within, wait).await.unwrap_or(false)
    }
}

async fn listen(client: &async_nats::Client, subject: String, handler: Handler) {
    match client.subscribe(subject.clone()).await {
        Ok(mut sub) => {
            tokio::spawn(async move {
                while let Some(msg) = sub.next().await {
                    handler(&msg.payload);
                }
            });
        }
        Err(e) => tracing::warn!(subject, error = %e, "bus subscription failed"),
    }
}
