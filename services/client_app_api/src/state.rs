//! What the handlers share.

use std::sync::Arc;

use axum::extract::FromRef;
use odmu_authn::Verifier;
use odmu_idempotency::Idempotency;
use odmu_runtime::Platform;
use odmu_storage::Db;

use crate::Error;
use crate::clients::contractual::Contractual;
use crate::clients::driver_api::DriverApi;
use crate::config::Config;

/// Handler state: the database, the verifier, the Idempotency-Key kit, one client per
/// dependency and the settings. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    platform: Platform,
    idempotency: Idempotency,
    contractual: Option<Contractual>,
    driver_api: Option<DriverApi>,
    config: Config,
}

impl AppState {
    /// The state of a started service. A client is `None` when this service has no
    /// credentials to call that dependency (its routes then answer 503).
    pub fn new(
        platform: Platform,
        idempotency: Idempotency,
        contractual: Option<Contractual>,
        driver_api: Option<DriverApi>,
        config: Config,
    ) -> Self {
        Self(Arc::new(Inner {
            platform,
            idempotency,
            contractual,
            driver_api,
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
    pub fn contractual(&self) -> Result<&Contractual, Error> {
        self.0
            .contractual
            .as_ref()
            .ok_or(Error::NoClient(odmu_topology::CONTRACTUAL.name))
    }

    /// The driver_api client, or a 503 when this service cannot call it.
    pub fn driver_api(&self) -> Result<&DriverApi, Error> {
        self.0
            .driver_api
            .as_ref()
            .ok_or(Error::NoClient(odmu_topology::DRIVER_API.name))
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
