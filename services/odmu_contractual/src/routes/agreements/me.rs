//! `GET /contract/v1/agreements/me`: the calling driver's latest agreement.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};

use super::AgreementView;
use crate::{AppState, Error, store};

/// The calling driver's agreement to the latest version they agreed to, and whether it is
/// still current.
#[utoipa::path(
    get, path = "/v1/agreements/me", operation_id = "get_my_agreement", tag = "agreements", security(("bearer" = [])),
    responses(
        (status = 200, description = "The driver's latest agreement", body = AgreementView),
        (status = 404, description = "The driver never agreed to any terms", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
) -> Result<Json<AgreementView>, Error> {
    let Some(row) = store::agreements::latest(state.db(), auth.driver()).await? else {
        return Err(Problem::not_found("You have not agreed to any terms yet.").into());
    };
    let current = store::terms::current_version(state.db()).await?;
    Ok(Json(AgreementView::new(row, current)))
}
