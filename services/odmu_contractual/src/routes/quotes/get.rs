//! `GET /contract/v1/quotes/{id}`: one quote, to its rider, a service or an admin.

use axum::extract::State;
use odmu_authn::{Auth, Role, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::QuoteView;
use crate::{AppState, Error, store};
use odmu_ids::QuoteId;

/// The quote `id`, expired or not (clients compare `expires_at`). A rider sees only their
/// own quotes: another rider's is answered 404, as if it did not exist.
#[utoipa::path(
    get, path = "/v1/quotes/{id}", operation_id = "get_quote", tag = "quotes", security(("bearer" = [])),
    params(("id" = String, Path, description = "The quote's id", format = "uuid")),
    responses(
        (status = 200, description = "The quote", body = QuoteView),
        (status = 404, description = "No such quote (or it is another rider's)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::RiderAdminOrService>,
    Path(id): Path<String>,
) -> Result<Json<QuoteView>, Error> {
    let found = match QuoteId::parse(&id) {
        Some(id) => store::quotes::get(state.db(), id).await?,
        None => None,
    };
    found
        .filter(|q| auth.claims.role != Role::Rider || Some(q.rider_id) == auth.account())
        .map(|q| Json(q.into()))
        .ok_or_else(|| Problem::not_found("No such quote.").into())
}
