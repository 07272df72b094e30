//! `GET /driver/v1/rides`: the rides the calling driver holds or held, newest first.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Page, PageQuery, Query, responses};

use super::DriverRide;
use crate::{AppState, Error, store};

/// The driver's rides (accepted by them and not released), newest first, paginated.
#[utoipa::path(
    get, path = "/v1/rides", operation_id = "list_my_rides", tag = "rides", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of the driver's rides", body = Page<DriverRide>),
        responses::Guarded,
        responses::List,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<DriverRide>>, Error> {
    let page = query.parse()?;
    let rows = store::rides::list_for_driver(state.db(), auth.driver(), &page).await?;
    Ok(Json(page.page(
        rows,
        |r| (r.created_at_ms, r.id.to_string()),
        DriverRide::from,
    )))
}
