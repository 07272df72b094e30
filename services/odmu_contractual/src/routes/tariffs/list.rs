//! `GET /contract/v1/tariffs`: the current version of each tariff, by code.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Page, PageQuery, Query, responses};

use super::TariffView;
use crate::{AppState, Error, store};

/// The current version of every tariff, ordered by code, a page at a time.
#[utoipa::path(
    get, path = "/v1/tariffs", operation_id = "list_tariffs", tag = "tariffs", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tariffs, each at its current version", body = Page<TariffView>),
        responses::Guarded,
        responses::List,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Anyone>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<TariffView>>, Error> {
    let page = query.parse()?;
    // Ordered by code alone (unique among current versions): the cursor's id is the last code.
    let after = page.after.as_ref().map_or("", |cursor| cursor.id.as_str());
    let rows = store::tariffs::list_current(state.db(), after, page.fetch()).await?;
    Ok(Json(page.page(
        rows,
        |t| (0, t.tariff.terms().code.clone()),
        TariffView::from,
    )))
}
