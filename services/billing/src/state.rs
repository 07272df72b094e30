//! What the handlers share.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::{HeaderValue, header};
use odmu_authn::Verifier;
use odmu_http::Problem;
use odmu_idempotency::Idempotency;
use odmu_runtime::Platform;
use odmu_storage::Db;

use crate::clients::contractual::Contractual;
use crate::config::Config;
use crate::payments::Capture;

/// Handler state: the database, the verifier, the Idempotency-Key kit, the contractual
/// client, the capture step and the settings. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    platform: Platform,
    idempotency: Idempotency,
    contractual: Option<Contractual>,
    capture: Box<dyn Capture>,
    config: Config,
}

impl AppState {
    /// The state of a started service. `contractual` is `None` when the service has no
    /// credentials to call it (charges then answer 503).
    pub fn new(
        platform: Platform,
        idempotency: Idempotency,
        contractual: Option<Contractual>,
        capture: Box<dyn Capture>,
        config: Config,
    ) -> Self {
        Self(Arc::new(Inner {
            platform,
            idempotency,
            contractual,
            capture,
            config,
        }))
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.0.platform.db
    }

    /// The Idempotency-Key kit.
    pub fn idempotency(&self) -> &Idempotency {
        &self.0.idempotency
    }

    /// The contractual client, or a 503 when this service cannot call it.
    pub fn contractual(&self) -> Result<&Contractual, Problem> {
        self.0.contractual.as_ref().ok_or_else(|| {
            Problem::unavailable(
                "billing has no service credentials to price charges; retry later.",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
        })
    }

    /// The capture step of payments.
    pub fn capture(&self) -> &dyn Capture {
        self.0.capture.as_ref()
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.0.config
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.0.platform.verifier.clone()
    }
}

impl FromRef<AppState> for Idempotency {
    fn from_ref(state: &AppState) -> Self {
        state.0.idempotency.clone()
    }
}
