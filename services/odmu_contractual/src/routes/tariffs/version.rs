//! `GET /contract/v1/tariffs/{code}/versions/{version}`: one version of a tariff, current or
//! not.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::{TariffView, is_code};
use crate::{AppState, Error, store};

/// Version `version` of the tariff `code`, exactly as it was published.
#[utoipa::path(
    get, path = "/v1/tariffs/{code}/versions/{version}", operation_id = "get_tariff_version", tag = "tariffs", security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "The tariff's code", min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$"),
        ("version" = i64, Path, description = "The version number", minimum = 1, maximum = 2147483647),
    ),
    responses(
        (status = 200, description = "That version of the tariff", body = TariffView),
        (status = 404, description = "No such code, or no such version of it", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Anyone>,
    Path((code, version)): Path<(String, i64)>,
) -> Result<Json<TariffView>, Error> {
    let found = if is_code(&code) && version >= 1 {
        store::tariffs::version(state.db(), &code, version).await?
    } else {
        None
    };
    found.map(|t| Json(t.into())).ok_or_else(|| {
        Problem::not_found(format!("The tariff {code:?} has no version {version}.")).into()
    })
}
