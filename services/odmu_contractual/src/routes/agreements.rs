//! Drivers' agreements to the terms.

pub mod create;
pub mod internal;
pub mod me;

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::agreements::AgreementRow;

/// A driver's agreement to one version of the terms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementView {
    /// The driver's account id.
    pub driver_id: odmu_ids::DriverId,
    /// The version agreed to.
    pub terms_version: i64,
    /// When (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub agreed_at: String,
    /// Whether that version is still the current one.
    pub current: bool,
}

impl AgreementView {
    /// The view of `row`, given the current version of the terms.
    pub fn new(row: AgreementRow, current_version: Option<i64>) -> Self {
        Self {
            current: current_version == Some(row.terms_version),
            driver_id: row.driver_id,
            terms_version: row.terms_version,
            agreed_at: odmu_storage::rfc3339(row.agreed_at_ms),
        }
    }
}
