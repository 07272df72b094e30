//! `GET /billing/v1/invoices/{id}`: one invoice, for its rider or an admin.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::{Invoice, visible};
use crate::{AppState, Error};

/// One invoice: its rider's own, or any for an admin.
#[utoipa::path(
    get, path = "/v1/invoices/{id}", tag = "invoices", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid", description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice", body = Invoice),
        (status = 404, description = "No such invoice, or another rider's", body = Problem,
         content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::RiderOrAdmin>,
    Path(id): Path<String>,
) -> Result<Json<Invoice>, Error> {
    Ok(Json(visible(&state, &auth.claims, &id).await?.into()))
}
