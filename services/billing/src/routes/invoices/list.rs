//! `GET /billing/v1/invoices`: a rider's own invoices, or all for an admin; newest first.

use axum::extract::State;
use odmu_authn::{Auth, Role, roles};
use odmu_http::{Json, Page, PageQuery, Query, responses};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Invoice, canonical_sub};
use crate::domain::invoice::InvoiceStatus;
use crate::store::invoices::Filter;
use crate::{AppState, Error, store};

/// The list's parameters: the page, and an optional status.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; absent for the first page. Pass it back as
    /// it came: its form is not part of the API.
    #[param(pattern = r"^-?[0-9]{1,18}~[A-Za-z0-9_-]{0,64}$")]
    pub cursor: Option<String>,
    /// Only invoices in this status.
    #[param(value_type = Option<InvoiceStatus>)]
    pub status: Option<InvoiceStatus>,
    /// `true`: only rides priced otherwise than their driver reported (each has `review`).
    pub review: Option<bool>,
}

/// Invoices, newest first: a rider sees their own, an admin all. `?review=true` lists the rides
/// priced otherwise than their drivers reported, for an admin to review.
#[utoipa::path(
    get, path = "/v1/invoices", tag = "invoices", security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of invoices", body = Page<Invoice>),
        responses::Guarded,
        responses::List,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::RiderOrAdmin>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Invoice>>, Error> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let rider = (auth.claims.role != Role::Admin).then(|| canonical_sub(&auth.claims));
    let filter = Filter {
        rider_id: rider.as_deref(),
        status: query.status.map(InvoiceStatus::as_str),
        under_review: query.review == Some(true),
    };
    let rows = store::invoices::list(state.db(), filter, page.before(), page.fetch()).await?;
    Ok(Json(page.page(
        rows,
        |r| (r.created_at_ms, r.id.clone()),
        Invoice::from,
    )))
}
