//! What the handlers share.

use std::sync::Arc;

use axum::extract::FromRef;
use odmu_authn::Verifier;
use odmu_outbox::Outbox;
use odmu_runtime::Platform;
use odmu_storage::Db;

use crate::Error;
use crate::clients::billing::Billing;
use crate::clients::contractual::Contractual;
use crate::config::Config;

/// Handler state: the database, the verifier, the outbox, the clients and the settings.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    platform: Platform,
    config: Config,
    outbox: Outbox,
    contractual: Option<Contractual>,
    billing: Option<Billing>,
}

impl AppState {
    /// The state of a started service. A client is `None` when the service has no
    /// credentials to call that dependency (the routes needing it then answer 503).
    pub fn new(
        platform: Platform,
        config: Config,
        outbox: Outbox,
        contractual: Option<Contractual>,
        billing: Option<Billing>,
    ) -> Self {
        Self(Arc::new(Inner {
            platform,
            config,
            outbox,
            contractual,
            billing,
        }))
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.0.platform.db
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The billing outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.0.outbox
    }

    /// The contractual client, or a 503 when this task cannot call contractual.
    pub fn contractual(&self) -> Result<&Contractual, Error> {
        self.0
            .contractual
            .as_ref()
            .ok_or(Error::NoClient("odmu_contractual"))
    }

    /// The billing client, if this task can call billing (only the relay does).
    pub fn billing(&self) -> Option<&Billing> {
        self.0.billing.as_ref()
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.0.platform.verifier.clone()
    }
}
