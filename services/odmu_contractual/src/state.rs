//! What the handlers share.

use std::sync::Arc;

use axum::extract::FromRef;
use odmu_authn::Verifier;
use odmu_runtime::Platform;
use odmu_storage::Db;

use crate::Config;

/// Handler state: the platform (database, token verifier) and the service's settings.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    platform: Platform,
    config: Config,
}

impl AppState {
    /// The state of a started service.
    pub fn new(config: Config, platform: Platform) -> Self {
        Self(Arc::new(Inner { platform, config }))
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.0.platform.db
    }

    /// How long a quote holds, in milliseconds (what `expires_at` adds to `created_at`).
    pub fn quote_ttl_ms(&self) -> i64 {
        i64::try_from(self.0.config.quote_ttl.as_millis()).unwrap_or(i64::MAX)
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.0.platform.verifier.clone()
    }
}
