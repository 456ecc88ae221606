//! A few seconds' memory of a school's built objects. An integration pages through a
//! collection (`offset` 0, 100, 200 …) or asks for its nested parts one after another;
//! each request would otherwise read and build all of the school's people again. Objects
//! are fresh for [`FRESH`]; after that, until [`STALE`], they are still answered while one
//! request builds them again in the background (so a steady stream of requests never
//! waits for a build). An answer lags a change by at most [`STALE`]; the cache is per
//! node and bounded.

use parta_core::ids::OrganisationId;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long built objects are answered from memory.
pub const FRESH: Duration = Duration::from_secs(3);
/// Older than this, objects are built before answering.
pub const STALE: Duration = Duration::from_secs(10);
/// Most entries kept (schools × kinds).
const MAX_ENTRIES: usize = 256;

type Entry = (Instant, Arc<Vec<Value>>);

#[derive(Clone, Default)]
pub struct RestCache {
    entries: Arc<Mutex<HashMap<(OrganisationId, &'static str), Entry>>>,
    /// Held while objects are built: requests that miss together build once (the
    /// others wait and find them).
    pub building: Arc<tokio::sync::Mutex<()>>,
}

impl RestCache {
    /// The objects of `kind` of a school built within `age`.
    pub fn get(
        &self,
        org: OrganisationId,
        kind: &'static str,
        age: Duration,
    ) -> Option<Arc<Vec<Value>>> {
        let map = self.entries.lock().ok()?;
        map.get(&(org, kind))
            .filter(|(at, _)| at.elapsed() < age)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, org: OrganisationId, kind: &'static str, objects: Arc<Vec<Value>>) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (at, _)| at.elapsed() < STALE);
            }
            if map.len() < MAX_ENTRIES {
                map.insert((org, kind), (Instant::now(), objects));
            }
        }
    }
}
