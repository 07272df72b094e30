//! `GET /contract/v1/terms/current`: the terms drivers must agree to.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};

use super::TermsView;
use crate::{AppState, Error, store};

/// The current version of the drivers' terms.
#[utoipa::path(
    get, path = "/v1/terms/current", operation_id = "get_current_terms", tag = "terms", security(("bearer" = [])),
    responses(
        (status = 200, description = "The current terms", body = TermsView),
        (status = 404, description = "No terms were ever published", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Anyone>,
) -> Result<Json<TermsView>, Error> {
    store::terms::current(state.db())
        .await?
        .map(|t| Json(t.into()))
        .ok_or_else(|| Problem::not_found("No terms were ever published.").into())
}
