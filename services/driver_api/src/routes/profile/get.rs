//! `GET /driver/v1/profile`: the calling driver's profile.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};

use super::Profile;
use crate::{AppState, Error, store};

/// The calling driver's profile.
#[utoipa::path(
    get, path = "/v1/profile", tag = "profile", security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, description = "No profile yet", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
) -> Result<Json<Profile>, Error> {
    store::profiles::get(state.db(), auth.driver())
        .await?
        .map(|row| Json(row.into()))
        .ok_or(Error::NoProfile)
}
