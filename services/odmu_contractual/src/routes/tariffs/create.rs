//! `POST /contract/v1/tariffs`: publishes the next version of a tariff (admins).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;

use super::{TariffInput, TariffView};
use crate::domain::tariff::{Tariff, ValidationErrors};
use crate::{AppState, Error, store};

/// Publishes a new version of the tariff `code`: version 1 for a new code, else the current
/// version + 1. Versions never change once published; quotes keep the version they were
/// priced under.
#[utoipa::path(
    post, path = "/v1/tariffs", operation_id = "publish_tariff", tag = "tariffs", security(("bearer" = [])),
    request_body = TariffInput,
    responses(
        (status = 201, description = "The new version, with its code, version and created_at", body = TariffView),
        responses::Guarded,
        responses::JsonBody,
        (status = 422, description = "A field is missing, unknown, of the wrong type or out of range, or the surge table is not ascending or exceeds `max_multiplier_bps` (each named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Admin>,
    Json(input): Json<TariffInput>,
) -> Result<(StatusCode, Json<TariffView>), Error> {
    let tariff = match Tariff::new(input.into()) {
        Ok(tariff) => tariff,
        Err(ValidationErrors { errors }) => {
            let mut problem = Problem::unprocessable("The tariff is not valid.");
            for e in errors {
                problem = problem.with_field_error(&e.field, e.message);
            }
            return Err(problem.into());
        }
    };
    let stored =
        store::tariffs::publish(state.db(), tariff.terms(), &auth.claims.sub, now_millis())
            .await?
            .ok_or_else(|| {
                Problem::unavailable("Too many publications of this code at once; retry.")
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            })?;
    tracing::info!(code = %tariff.terms().code, version = stored.version, "tariff published");
    Ok((StatusCode::CREATED, Json(stored.into())))
}
