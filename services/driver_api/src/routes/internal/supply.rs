//! `GET /driver/v1/internal/supply`: drivers and open requests near a point, for pricing.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Query, responses};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::routes::input;
use crate::{AppState, Error, dispatch};
use odmu_http::Fields;

/// Where to look.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SupplyQuery {
    /// Latitude, -90 to 90.
    #[param(minimum = -90, maximum = 90, value_type = f64, required = true)]
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude, -180 to 180.
    #[param(minimum = -180, maximum = 180, value_type = f64, required = true)]
    #[serde(default)]
    pub lon: Option<f64>,
}

/// Supply and demand near a point.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Supply {
    /// Online drivers whose last position is within the radius.
    pub online_drivers: i64,
    /// Rides waiting for a driver whose pickup is within the radius.
    pub open_requests: i64,
    /// The radius, in metres (`DISPATCH_RADIUS_M`).
    pub radius_m: f64,
}

/// Online drivers and open requests within the dispatch radius of a point (client_app_api
/// derives the demand that prices a quote from them).
#[utoipa::path(
    get, path = "/v1/internal/supply", operation_id = "get_supply", tag = "internal", security(("bearer" = [])),
    params(SupplyQuery),
    responses(
        (status = 200, description = "Supply and demand near the point", body = Supply),
        (status = 404, description = "Asked through the public load balancer, which does not serve internal paths", body = odmu_http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`lat` or `lon` is missing or out of range (named in `errors`)", body = odmu_http::Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Query(query): Query<SupplyQuery>,
) -> Result<Json<Supply>, Error> {
    let mut fields = Fields::new("The point is not valid.");
    let at = input::position(&mut fields, "", query.lat, query.lon);
    fields.finish()?;
    let at = at.ok_or_else(|| odmu_http::Problem::unprocessable("The point is not valid."))?;
    let (drivers, requests) = dispatch::supply_near(&state, at).await?;
    Ok(Json(Supply {
        online_drivers: i64::try_from(drivers).unwrap_or(i64::MAX),
        open_requests: i64::try_from(requests).unwrap_or(i64::MAX),
        radius_m: state.config().dispatch_radius_m,
    }))
}
