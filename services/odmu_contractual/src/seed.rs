//! What a fresh platform needs to quote at once: tariff `standard` v1 and terms v1
//! (DESIGN.md §5). Run at every start of every task; each is a conditional insert, so it is
//! created once however many tasks start together on one database.

use odmu_storage::{Db, StorageError, now_millis};

use crate::domain::tariff::standard_v1_terms;
use crate::store;

/// Who the rows created here are published by.
pub(crate) const PUBLISHER: &str = "odmu_contractual";

/// Title of terms v1.
pub(crate) const TERMS_V1_TITLE: &str = "odmu driver terms, version 1";

/// Text of terms v1.
pub(crate) const TERMS_V1_BODY: &str = "You drive as an independent provider. \
Each ride is priced by the tariff version quoted to the rider; you receive the amount less the \
platform's commission on the fare, and the booking fee stays with the platform. A rider who \
cancels after the free cancellation period owes the tariff's cancellation fee, split the same \
way. Keep your profile, vehicle and documents accurate, follow the law and the rider's safety \
first, and never ask for payment outside odmu. New versions of these terms are published here; \
you must agree to the current version before going online.";

/// Creates `standard` v1 and terms v1 if they do not exist.
pub(crate) async fn ensure_defaults(db: &Db) -> Result<(), StorageError> {
    let now = now_millis();
    if store::tariffs::create_first(db, &standard_v1_terms(), PUBLISHER, now).await? {
        tracing::info!(code = "standard", version = 1, "default tariff created");
    }
    let terms = store::terms::NewTerms {
        version: 1,
        title: TERMS_V1_TITLE,
        body: TERMS_V1_BODY,
        published_by: PUBLISHER,
        now_ms: now,
    };
    if store::terms::publish(db, &terms).await?.is_some() {
        tracing::info!(version = 1, "default driver terms created");
    }
    Ok(())
}
