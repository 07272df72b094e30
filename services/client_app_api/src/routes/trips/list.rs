//! `GET /client/v1/trips`: the caller's trips, newest first.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Page, PageQuery, Query, responses};

use super::{Trip, ride_of};
use crate::clients::bounded;
use crate::{AppState, Error, store};

/// How many rides of one page are read from driver_api at once.
const CONCURRENT_READS: usize = 8;

/// The caller's trips, newest first, each merged with its ride (status, driver, prices,
/// invoice): a page's rides are read from driver_api concurrently, at most eight at a time.
/// The quotes are left out (each item names its `quote_id`; `GET /client/v1/trips/{id}` has
/// the quote), so a page costs one driver_api read per trip and none at contractual.
#[utoipa::path(
    get, path = "/v1/trips", operation_id = "list_trips", tag = "trips", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of trips", body = Page<Trip>),
        responses::Guarded,
        responses::List,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Rider>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Trip>>, Error> {
    let page = query.parse()?;
    let rows = store::trips::list(state.db(), auth.rider(), &page).await?;
    let page = page.page(rows, store::trips::TripRow::sort_key, |row| row);
    if page.items.is_empty() {
        return Ok(Json(Page {
            items: Vec::new(),
            next_cursor: page.next_cursor,
        }));
    }
    let driver_api = state.driver_api()?;
    let reads = page
        .items
        .iter()
        .map(|row| ride_of(driver_api, row.id))
        .collect();
    let rides = bounded(reads, CONCURRENT_READS).await;
    let items = page
        .items
        .into_iter()
        .zip(rides)
        .map(|(row, ride)| Ok(Trip::merge(row, ride?)))
        .collect::<Result<_, Error>>()?;
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}
