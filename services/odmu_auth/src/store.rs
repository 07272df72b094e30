//! odmu_auth's queries. Rows map through small structs of portable types (DESIGN.md §6).

use odmu_storage::{Db, StorageError, rusqlite, sqlx};
use sqlx::FromRow;
use tracing::instrument;

/// A stored account.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: odmu_authn::Role,
    pub created_at_ms: i64,
}

/// Inserts an account; `false` when the email is taken.
#[instrument(skip_all)]
pub(crate) async fn insert_user(db: &Db, user: &UserRow) -> Result<bool, StorageError> {
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO users (id, email, password_hash, role, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(user.created_at_ms)
    .fetch_optional(db.pool())
    .await?;
    Ok(inserted.is_some())
}

const USER_COLUMNS: &str = "id, email, password_hash, role, created_at_ms";

impl UserRow {
    /// The row of a [`Db::read_now`] query selecting [`USER_COLUMNS`].
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let role: String = row.get(3)?;
        Ok(Self {
            id: row.get(0)?,
            email: row.get(1)?,
            password_hash: row.get(2)?,
            role: role.parse().map_err(|e: odmu_authn::UnknownRole| {
                rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
            })?,
            created_at_ms: row.get(4)?,
        })
    }
}

/// The one account `column` (an indexed, unique column) names, read on the calling thread
/// when the database is a SQLite file ([`Db::read_now`]).
fn user_now(db: &Db, column: &str, value: &str) -> Option<Result<Option<UserRow>, StorageError>> {
    use rusqlite::OptionalExtension as _;
    db.read_now(|conn| {
        conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1"
        ))?
        .query_row([value], UserRow::from_sqlite)
        .optional()
    })
}

/// The account with this (normalised) email.
#[instrument(skip_all)]
pub(crate) async fn user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, StorageError> {
    if let Some(found) = user_now(db, "email", email) {
        return found;
    }
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(db.pool())
    .await?)
}

/// The account with this id.
#[instrument(skip_all)]
pub(crate) async fn user_by_id(db: &Db, id: &str) -> Result<Option<UserRow>, StorageError> {
    if let Some(found) = user_now(db, "id", id) {
        return found;
    }
    Ok(
        sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// A refresh token to store (only its hash is kept).
pub(crate) struct NewRefresh<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub family_id: &'a str,
    pub user_id: &'a str,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

/// Stores the first token of a new family.
#[instrument(skip_all)]
pub(crate) async fn insert_refresh(db: &Db, token: &NewRefresh<'_>) -> Result<(), StorageError> {
    insert_refresh_in(db.pool(), token).await
}

async fn insert_refresh_in<'e, E>(executor: E, token: &NewRefresh<'_>) -> Result<(), StorageError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO refresh_tokens \
         (id, token_hash, family_id, user_id, issued_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.id)
    .bind(token.token_hash)
    .bind(token.family_id)
    .bind(token.user_id)
    .bind(token.issued_at_ms)
    .bind(token.expires_at_ms)
    .execute(executor)
    .await?;
    Ok(())
}

/// The token that replaces a spent one, in the same family.
pub(crate) struct NextRefresh<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

#[derive(FromRow)]
struct RefreshState {
    family_id: String,
    user_id: String,
    spent_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
}

/// What presenting a refresh token did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rotation {
    /// Spent, and the next token of the family stored: the caller may answer.
    Rotated { user_id: String },
    /// Already spent: a replay. The whole family is now revoked.
    Reused { user_id: String, family_id: String },
    /// Unknown, expired or revoked.
    Invalid,
}

/// Spends the token with `old_hash` and stores `next` in its family, in one transaction. The
/// spend is a single conditional write, so of two concurrent uses exactly one wins.
#[instrument(skip_all)]
pub(crate) async fn rotate_refresh(
    db: &Db,
    old_hash: &str,
    now_ms: i64,
    next: &NextRefresh<'_>,
) -> Result<Rotation, StorageError> {
    let mut tx = db.begin_write().await?;
    let state: Option<RefreshState> = sqlx::query_as(
        "SELECT family_id, user_id, spent_at_ms, revoked_at_ms FROM refresh_tokens \
         WHERE token_hash = $1",
    )
    .bind(old_hash)
    .fetch_optional(tx.conn())
    .await?;
    let Some(state) = state else {
        return Ok(Rotation::Invalid);
    };
    let spent = sqlx::query(
        "UPDATE refresh_tokens SET spent_at_ms = $1 WHERE token_hash = $2 \
         AND spent_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > $1",
    )
    .bind(now_ms)
    .bind(old_hash)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if spent == 1 {
        let token = NewRefresh {
            id: next.id,
            token_hash: next.token_hash,
            family_id: &state.family_id,
            user_id: &state.user_id,
            issued_at_ms: next.issued_at_ms,
            expires_at_ms: next.expires_at_ms,
        };
        insert_refresh_in(tx.conn(), &token).await?;
        tx.commit().await?;
        return Ok(Rotation::Rotated {
            user_id: state.user_id,
        });
    }
    // Lost a race or replayed: if the token had been spent (now or before), it is a reuse.
    let reused = state.spent_at_ms.is_some() || {
        let now: Option<i64> =
            sqlx::query_scalar("SELECT spent_at_ms FROM refresh_tokens WHERE token_hash = $1")
                .bind(old_hash)
                .fetch_optional(tx.conn())
                .await?
                .flatten();
        now.is_some()
    };
    if reused && state.revoked_at_ms.is_none() {
        revoke_family_in(tx.conn(), &state.family_id, now_ms).await?;
        tx.commit().await?;
        return Ok(Rotation::Reused {
            user_id: state.user_id,
            family_id: state.family_id,
        });
    }
    tx.commit().await?;
    Ok(Rotation::Invalid)
}

async fn revoke_family_in<'e, E>(
    executor: E,
    family_id: &str,
    now_ms: i64,
) -> Result<u64, StorageError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE refresh_tokens SET revoked_at_ms = $1 WHERE family_id = $2 AND revoked_at_ms IS NULL",
    )
    .bind(now_ms)
    .bind(family_id)
    .execute(executor)
    .await?
    .rows_affected())
}

/// Revokes the family of the token with this hash (RFC 7009); unknown tokens do nothing.
#[instrument(skip_all)]
pub(crate) async fn revoke_family_of(
    db: &Db,
    token_hash: &str,
    now_ms: i64,
) -> Result<(), StorageError> {
    let family: Option<String> =
        sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(db.pool())
            .await?;
    if let Some(family) = family {
        revoke_family_in(db.pool(), &family, now_ms).await?;
    }
    Ok(())
}
