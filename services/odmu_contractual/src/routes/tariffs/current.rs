//! `GET /contract/v1/tariffs/{code}`: the current version of one tariff.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::{TariffView, is_code};
use crate::{AppState, Error, store};

/// The current (highest) version of the tariff `code`.
#[utoipa::path(
    get, path = "/v1/tariffs/{code}", operation_id = "get_tariff", tag = "tariffs", security(("bearer" = [])),
    params(("code" = String, Path, description = "The tariff's code", min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$")),
    responses(
        (status = 200, description = "The tariff at its current version", body = TariffView),
        (status = 404, description = "No tariff has this code", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Anyone>,
    Path(code): Path<String>,
) -> Result<Json<TariffView>, Error> {
    let found = if is_code(&code) {
        store::tariffs::current(state.db(), &code).await?
    } else {
        None
    };
    found
        .map(|t| Json(t.into()))
        .ok_or_else(|| Problem::not_found(format!("No tariff has the code {code:?}.")).into())
}
