//! The JWKS cache: keys by `kid`, refetched when stale or on an unknown `kid`, never more
//! often than the cooldown, and one fetch at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

use crate::AuthError;

/// One verification key.
pub(crate) struct Key {
    pub(crate) decoding: DecodingKey,
    pub(crate) algorithm: Algorithm,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, Arc<Key>>,
    fetched_at: Option<Instant>,
}

pub(crate) struct KeyCache {
    url: String,
    http: reqwest::Client,
    min_refresh: Duration,
    max_age: Duration,
    keys: RwLock<Keys>,
    /// Time of the last fetch attempt; held while fetching so concurrent misses share one fetch.
    last_attempt: Mutex<Option<Instant>>,
    /// When the set was last fetched, readable without waiting (the verified-token cache asks).
    fetched_at: SyncMutex<Option<Instant>>,
    /// Bumped whenever a fetch brings a different set of keys.
    generation: AtomicU64,
    /// Set with the generation; taken by whoever clears what was verified under the old set.
    changed: AtomicBool,
}

impl KeyCache {
    pub(crate) fn new(url: String, min_refresh: Duration, max_age: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        Self {
            url,
            http,
            min_refresh,
            max_age,
            keys: RwLock::new(Keys::default()),
            last_attempt: Mutex::new(None),
            fetched_at: SyncMutex::new(None),
            generation: AtomicU64::new(0),
            changed: AtomicBool::new(false),
        }
    }

    /// Which key set is current; changes whenever a fetch brings different keys.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether the set changed since the last call (true once per change).
    pub(crate) fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    /// Whether the set was fetched within its maximum age.
    pub(crate) fn is_fresh(&self) -> bool {
        self.fetched_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|t| t.elapsed() < self.max_age)
    }

    /// The key for `kid`, refreshing the set once if it is unknown or stale.
    pub(crate) async fn get(&self, kid: &str) -> Result<Arc<Key>, AuthError> {
        {
            let keys = self.keys.read().await;
            if let Some(key) = keys.by_kid.get(kid)
                && self.set_is_fresh(&keys)
            {
                return Ok(key.clone());
            }
        }
        self.refresh().await;
        let keys = self.keys.read().await;
        match (keys.by_kid.get(kid), keys.fetched_at) {
            // A fresh set is authoritative: a key removed from it no longer verifies. A stale
            // set (odmu_auth unreachable) still verifies with the keys it has.
            (Some(key), _) => Ok(key.clone()),
            (None, None) => Err(AuthError::KeysUnavailable),
            (None, Some(_)) => Err(AuthError::UnknownKey),
        }
    }

    fn set_is_fresh(&self, keys: &Keys) -> bool {
        keys.fetched_at.is_some_and(|t| t.elapsed() < self.max_age)
    }

    /// Fetches the key set unless a fetch happened within the cooldown.
    pub(crate) async fn refresh(&self) {
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(by_kid) => {
                tracing::debug!(keys = by_kid.len(), "JWKS refreshed");
                let mut keys = self.keys.write().await;
                let same = keys.by_kid.len() == by_kid.len()
                    && by_kid.keys().all(|kid| keys.by_kid.contains_key(kid));
                keys.by_kid = by_kid;
                let now = Instant::now();
                keys.fetched_at = Some(now);
                *self
                    .fetched_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(now);
                if !same {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                    self.changed.store(true, Ordering::Release);
                }
            }
            Err(e) => tracing::warn!(error = %e, url = %self.url, "JWKS fetch failed"),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<Key>>, reqwest::Error> {
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = to_key(jwk)?;
                Some((kid, Arc::new(key)))
            })
            .collect())
    }
}

/// A verification key from a JWK; symmetric keys and unknown curves are skipped.
fn to_key(jwk: &Jwk) -> Option<Key> {
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::OctetKey(_), _) => return None,
        (_, Some(KeyAlgorithm::EdDSA)) => Algorithm::EdDSA,
        (_, Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (_, Some(KeyAlgorithm::ES256)) => Algorithm::ES256,
        (_, Some(_)) => return None,
        (AlgorithmParameters::OctetKeyPair(p), None) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        (AlgorithmParameters::RSA(_), None) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(p), None) if p.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    let decoding = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key {
        decoding,
        algorithm,
    })
}
