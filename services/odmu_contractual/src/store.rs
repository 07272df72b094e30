//! odmu_contractual's queries, SQL next to the function that runs it (DESIGN.md §6 portable
//! subset). Writes go through `Db::begin_write`, so writers of one process take turns on
//! SQLite; every "create once" is a conditional insert, safe with any number of tasks.

pub mod agreements;
pub mod quotes;
pub mod tariffs;
pub mod terms;

use std::future::Future;

use odmu_storage::{StorageError, sqlx};

/// A stored value that does not read back as the domain type it was written from.
fn undecodable(error: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::Sqlx(sqlx::Error::Decode(Box::new(error)))
}

/// Runs a write to its end (commit, or rollback on error) on a task of its own.
///
/// A handler's future is dropped when its client disconnects or the request times out. Dropped
/// while `Db::begin_write` is starting the transaction, sqlx can put the connection back in the
/// pool still inside that transaction: on SQLite it then holds the write lock for good, and
/// every later write waits 5 s and fails (seen at the end of a load test). A spawned task is not
/// dropped with the handler, so every write it runs ends.
async fn detached<T, F>(write: F) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, StorageError>> + Send + 'static,
{
    tokio::spawn(write).await.map_err(|e| {
        StorageError::Sqlx(sqlx::Error::Protocol(format!("the write task failed: {e}")))
    })?
}
