//! `GET /contract/v1/internal/agreements/{driver_id}`: whether a driver agreed to the
//! current terms (service tokens only).

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, Error, store};

/// A driver's standing with the terms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementStatus {
    /// The driver's account id.
    pub driver_id: odmu_ids::DriverId,
    /// The latest version the driver agreed to; `null` if none.
    pub terms_version: Option<i64>,
    /// Whether that version is the current one (false when the driver never agreed).
    pub current: bool,
}

/// Whether the driver agreed to the current terms; answered for any driver's account id, with
/// `current: false` when there is no agreement. Text that is not an account id names no
/// driver: 404.
#[utoipa::path(
    get, path = "/v1/internal/agreements/{driver_id}", operation_id = "get_agreement_status", tag = "agreements", security(("bearer" = [])),
    params(("driver_id" = String, Path, format = "uuid", description = "The driver's account id")),
    responses(
        (status = 200, description = "The driver's standing", body = AgreementStatus),
        (status = 404, description = "Not an account id, or asked through the public load balancer, which does not serve internal paths", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Path(driver_id): Path<String>,
) -> Result<Json<AgreementStatus>, Error> {
    let driver_id = odmu_ids::DriverId::parse(&driver_id)
        .ok_or_else(|| Problem::not_found("No driver has this id: an account id is a UUID."))?;
    let latest = store::agreements::latest(state.db(), driver_id).await?;
    let terms_version = latest.map(|row| row.terms_version);
    let current = match terms_version {
        Some(version) => store::terms::current_version(state.db()).await? == Some(version),
        None => false,
    };
    Ok(Json(AgreementStatus {
        driver_id,
        terms_version,
        current,
    }))
}
