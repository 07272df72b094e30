//! The drivers' terms: numbered versions without gaps; the highest is current.

pub mod current;
pub mod publish;

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::terms::TermsRow;

/// One version of the terms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TermsView {
    /// Version number.
    pub version: i64,
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// When it was published (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub published_at: String,
}

impl From<TermsRow> for TermsView {
    fn from(t: TermsRow) -> Self {
        Self {
            version: t.version,
            title: t.title,
            body: t.body,
            published_at: odmu_storage::rfc3339(t.published_at_ms),
        }
    }
}
