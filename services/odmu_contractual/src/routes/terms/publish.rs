//! `POST /contract/v1/terms`: publishes the next version of the drivers' terms (admins).

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::TermsView;
use crate::routes::check_text;
use crate::store::terms::NewTerms;
use crate::{AppState, Error, store};
use odmu_http::{Fields, integer};

/// Highest version number accepted.
pub const MAX_VERSION: i64 = 1_000_000;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body, in characters: even escaped at 6 bytes a character, the request stays
/// under the 64 KiB body limit.
pub const MAX_BODY_CHARS: usize = 10_000;

/// A new version of the terms.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    /// Must be exactly the current version + 1 (409 otherwise, saying which is expected);
    /// 1 to 1 000 000.
    #[schema(minimum = 1, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub version: i64,
    /// Title, 1 to 200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    /// Full text, 1 to 10 000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub body: String,
}

/// Publishes the next version of the terms. From then on, drivers' agreements to earlier
/// versions are no longer current.
#[utoipa::path(
    post, path = "/v1/terms", operation_id = "publish_terms", tag = "terms", security(("bearer" = [])),
    request_body = TermsInput,
    responses(
        (status = 201, description = "The published terms, now current", body = TermsView),
        (status = 409, description = "`version` is not the current version + 1 (`expected_version` says which is)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Admin>,
    Json(input): Json<TermsInput>,
) -> Result<(StatusCode, Json<TermsView>), Error> {
    let mut fields = Fields::new("The terms are not valid.");
    fields.range("version", input.version, 1, MAX_VERSION);
    check_text(&mut fields, "title", &input.title, 1, MAX_TITLE_CHARS);
    check_text(&mut fields, "body", &input.body, 1, MAX_BODY_CHARS);
    fields.finish()?;
    let terms = NewTerms {
        version: input.version,
        title: &input.title,
        body: &input.body,
        published_by: &auth.claims.sub,
        now_ms: now_millis(),
    };
    match store::terms::publish(state.db(), &terms).await? {
        Some(row) => {
            tracing::info!(version = row.version, "driver terms published");
            Ok((StatusCode::CREATED, Json(row.into())))
        }
        None => {
            let expected = store::terms::current_version(state.db())
                .await?
                .unwrap_or(0)
                .saturating_add(1);
            Err(Problem::conflict(format!(
                "Terms are published in order: the next version is {expected}, not {}.",
                input.version
            ))
            .with_extension("expected_version", expected.into())
            .into())
        }
    }
}
