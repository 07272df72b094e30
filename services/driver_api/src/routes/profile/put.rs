//! `PUT /driver/v1/profile`: creates or replaces the calling driver's profile.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::Profile;
use crate::store::profiles::NewProfile;
use crate::{AppState, Error, store};

/// What a driver says about themself and their vehicle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// Shown to riders; 1 to 100 characters (surrounding spaces are trimmed).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Licence plate; 1 to 16 characters.
    #[schema(min_length = 1, max_length = 16, pattern = r"\S")]
    pub vehicle_plate: String,
    /// Vehicle class (e.g. `standard`, `xl`); 1 to 32 characters.
    #[schema(min_length = 1, max_length = 32, pattern = r"\S")]
    pub vehicle_class: String,
}

/// Creates or replaces the calling driver's profile.
#[utoipa::path(
    put, path = "/v1/profile", tag = "profile", security(("bearer" = [])),
    request_body = ProfileInput,
    responses(
        (status = 200, description = "The stored profile", body = Profile),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Json(input): Json<ProfileInput>,
) -> Result<Json<Profile>, Error> {
    let mut problem = Problem::unprocessable("The profile is not valid.");
    for (field, value, max) in [
        ("name", &input.name, 100),
        ("vehicle_plate", &input.vehicle_plate, 16),
        ("vehicle_class", &input.vehicle_class, 32),
    ] {
        let len = value.trim().chars().count();
        if len == 0 || value.chars().count() > max {
            problem = problem.with_field_error(field, format!("must be 1 to {max} characters"));
        }
    }
    if !problem.errors.is_empty() {
        return Err(problem.into());
    }
    let row = store::profiles::upsert(
        state.db(),
        &NewProfile {
            driver_id: auth.driver(),
            name: input.name.trim(),
            vehicle_plate: input.vehicle_plate.trim(),
            vehicle_class: input.vehicle_class.trim(),
            now_ms: now_millis(),
        },
    )
    .await?;
    Ok(Json(row.into()))
}
