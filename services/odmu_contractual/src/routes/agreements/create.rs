//! `POST /contract/v1/agreements`: the calling driver agrees to the current terms.

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::AgreementView;
use crate::routes::terms::publish::MAX_VERSION;
use crate::{AppState, Error, store};
use odmu_http::{Fields, integer};

/// Which terms the driver agrees to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// The version the driver read; it must be the current one (409 otherwise). 1 to
    /// 1 000 000.
    #[schema(minimum = 1, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub terms_version: i64,
}

/// Records the calling driver's agreement to the current terms. Agreeing again to the same
/// version answers 200 with the agreement first recorded.
#[utoipa::path(
    post, path = "/v1/agreements", operation_id = "agree_to_terms", tag = "agreements", security(("bearer" = [])),
    request_body = AgreementInput,
    responses(
        (status = 201, description = "The new agreement", body = AgreementView),
        (status = 200, description = "The driver had already agreed to this version: that agreement", body = AgreementView),
        (status = 409, description = "`terms_version` is not the current version (`current_version` says which is)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Json(input): Json<AgreementInput>,
) -> Result<(StatusCode, Json<AgreementView>), Error> {
    let mut fields = Fields::new("The agreement is not valid.");
    fields.range("terms_version", input.terms_version, 1, MAX_VERSION);
    fields.finish()?;
    let driver = auth.driver();
    let version = input.terms_version;
    if let Some(row) = store::agreements::agree(state.db(), driver, version, now_millis()).await? {
        return Ok((
            StatusCode::CREATED,
            Json(AgreementView::new(row, Some(version))),
        ));
    }
    // Nothing written: either this version is not current, or the driver already agreed.
    let current = store::terms::current_version(state.db()).await?;
    if current == Some(version)
        && let Some(row) = store::agreements::get(state.db(), driver, version).await?
    {
        return Ok((StatusCode::OK, Json(AgreementView::new(row, current))));
    }
    let detail = match current {
        Some(current) => format!("Only the current terms (version {current}) can be agreed to."),
        None => "No terms were ever published.".to_owned(),
    };
    Err(Problem::conflict(detail)
        .with_extension("current_version", current.into())
        .into())
}
