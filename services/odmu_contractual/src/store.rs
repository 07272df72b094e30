//! odmu_contractual's queries, SQL next to the function that runs it (DESIGN.md §6 portable
//! subset). Writes go through `Db::begin_write`, so writers of one process take turns on
//! SQLite; every "create once" is a conditional insert, safe with any number of tasks.

pub mod agreements;
pub mod quotes;
pub mod tariffs;
pub mod terms;

use odmu_storage::{StorageError, sqlx};

/// A stored value that does not read back as the domain type it was written from.
fn undecodable(error: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::Sqlx(sqlx::Error::Decode(Box::new(error)))
}
