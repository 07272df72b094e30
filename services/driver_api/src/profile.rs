//! The driver's own profile: `GET` and `PUT /driver/v1/profile`.

use axum::extract::State;
use odmu_authn::{Auth, Driver};
use odmu_http::{Json, Problem};
use odmu_storage::{Db, now_millis, rfc3339, sqlx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a driver says about themself and their vehicle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// Shown to riders; 1 to 100 characters.
    pub name: String,
    /// Licence plate; 1 to 16 characters.
    pub vehicle_plate: String,
    /// Vehicle class (e.g. `standard`, `xl`); 1 to 32 characters.
    pub vehicle_class: String,
}

/// A driver's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    /// The driver's account id.
    pub driver_id: String,
    /// Name shown to riders.
    pub name: String,
    /// Licence plate.
    pub vehicle_plate: String,
    /// Vehicle class.
    pub vehicle_class: String,
    /// Whether the driver is taking rides.
    pub online: bool,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    driver_id: String,
    name: String,
    vehicle_plate: String,
    vehicle_class: String,
    online: i64,
    updated_at_ms: i64,
}

impl From<Row> for Profile {
    fn from(r: Row) -> Self {
        Self {
            driver_id: r.driver_id,
            name: r.name,
            vehicle_plate: r.vehicle_plate,
            vehicle_class: r.vehicle_class,
            online: r.online == 1,
            updated_at: rfc3339(r.updated_at_ms),
        }
    }
}

async fn load(db: &Db, driver_id: &str) -> Result<Option<Profile>, Problem> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT driver_id, name, vehicle_plate, vehicle_class, online, updated_at_ms \
         FROM drivers WHERE driver_id = $1",
    )
    .bind(driver_id)
    .fetch_optional(db.pool())
    .await
    .map_err(Problem::internal)?;
    Ok(row.map(Profile::from))
}

/// The calling driver's profile.
#[utoipa::path(
    get, path = "/driver/v1/profile", tag = "profile", security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a driver", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No profile yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_profile(
    State(db): State<Db>,
    auth: Auth<Driver>,
) -> Result<Json<Profile>, Problem> {
    load(&db, &auth.claims.sub)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found("No profile yet: PUT one first."))
}

/// Creates or replaces the calling driver's profile.
#[utoipa::path(
    put, path = "/driver/v1/profile", tag = "profile", security(("bearer" = [])),
    request_body = ProfileInput,
    responses(
        (status = 200, description = "The stored profile", body = Profile),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a driver", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is empty or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_profile(
    State(db): State<Db>,
    auth: Auth<Driver>,
    Json(input): Json<ProfileInput>,
) -> Result<Json<Profile>, Problem> {
    let mut problem = Problem::unprocessable("The profile is not valid.");
    for (field, value, max) in [
        ("name", &input.name, 100),
        ("vehicle_plate", &input.vehicle_plate, 16),
        ("vehicle_class", &input.vehicle_class, 32),
    ] {
        let len = value.trim().chars().count();
        if len == 0 || len > max {
            problem = problem.with_field_error(field, format!("must be 1 to {max} characters"));
        }
    }
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    sqlx::query(
        "INSERT INTO drivers (driver_id, name, vehicle_plate, vehicle_class, online, updated_at_ms) \
         VALUES ($1, $2, $3, $4, 0, $5) \
         ON CONFLICT (driver_id) DO UPDATE SET name = excluded.name, \
         vehicle_plate = excluded.vehicle_plate, vehicle_class = excluded.vehicle_class, \
         updated_at_ms = excluded.updated_at_ms",
    )
    .bind(&auth.claims.sub)
    .bind(input.name.trim())
    .bind(input.vehicle_plate.trim())
    .bind(input.vehicle_class.trim())
    .bind(now_millis())
    .execute(db.pool())
    .await
    .map_err(Problem::internal)?;
    load(&db, &auth.claims.sub)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::internal("profile vanished after upsert"))
}
