//! Every status change of a ride as ONE conditional write (DESIGN.md §5a): `UPDATE rides SET
//! status = <to> ... WHERE id = $1 AND status IN (<from>)`, the statuses taken from the
//! domain's table ([`Action::from_statuses`], [`Action::to_status`]). Of any number of
//! concurrent attempts, on any number of tasks, exactly one matches the row; the others see
//! zero rows changed. "A driver holds at most one active ride" is the partial unique index
//! `rides_one_active_per_driver`: its violation is [`Accepted::DriverBusy`].

use odmu_ids::{DriverId, RideId};
use odmu_storage::{Db, StorageError, WriteTx, sqlx};
use tracing::instrument;

use crate::domain::ride::{Action, Status};

/// `status IN ('a', 'b')` for the statuses `action` applies to (static names, never input).
fn from(action: Action) -> String {
    let names: Vec<String> = action
        .from_statuses()
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("status IN ({})", names.join(", "))
}

/// `status = 'x'` for the status `action` produces.
fn to(action: Action) -> String {
    format!("status = '{}'", action.to_status().as_str())
}

/// What an accept did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// This driver now holds the ride.
    Won,
    /// The ride was not `requested` (someone else's, or no longer open, or no such ride).
    NotRequested,
    /// The driver already holds another active ride.
    DriverBusy,
}

/// `requested` → `accepted` by `driver_id`.
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn accept(
    db: &Db,
    id: RideId,
    driver_id: DriverId,
    now: i64,
) -> Result<Accepted, StorageError> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "UPDATE rides SET {}, driver_id = $2, accepted_at_ms = $3, updated_at_ms = $3 \
         WHERE id = $1 AND {}",
        to(Action::Accept),
        from(Action::Accept)
    );
    let outcome = sqlx::query(&sql)
        .bind(id)
        .bind(driver_id)
        .bind(now)
        .execute(tx.conn())
        .await;
    match outcome {
        Ok(done) if done.rows_affected() == 1 => {
            tx.commit().await?;
            Ok(Accepted::Won)
        }
        Ok(_) => Ok(Accepted::NotRequested),
        // The only unique index an accept can break is the one-active-ride-per-driver one.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Accepted::DriverBusy),
        Err(e) => Err(e.into()),
    }
}

/// `accepted` → `requested` by the driver holding it: the driver is cleared and the expiry
/// clock starts again. `false` when it did not apply.
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn release(
    db: &Db,
    id: RideId,
    driver_id: DriverId,
    now: i64,
) -> Result<bool, StorageError> {
    let sql = format!(
        "UPDATE rides SET {}, driver_id = NULL, accepted_at_ms = NULL, requested_at_ms = $3, \
         updated_at_ms = $3 WHERE id = $1 AND driver_id = $2 AND {}",
        to(Action::Release),
        from(Action::Release)
    );
    single(db, &sql, id, driver_id, now).await
}

/// `accepted` → `in_progress` by the driver holding it (the code was checked). `false` when it
/// did not apply.
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn start(
    db: &Db,
    id: RideId,
    driver_id: DriverId,
    now: i64,
) -> Result<bool, StorageError> {
    let sql = format!(
        "UPDATE rides SET {}, started_at_ms = $3, updated_at_ms = $3, start_code_failures = 0 \
         WHERE id = $1 AND driver_id = $2 AND {}",
        to(Action::Start),
        from(Action::Start)
    );
    single(db, &sql, id, driver_id, now).await
}

/// Admits one start-code attempt on an `accepted` ride of `driver_id` whose code is not
/// locked at `now`, counting it as a failure before the code is even compared (a right code's
/// start clears the count). The `max_failures`-th admitted attempt locks the code until
/// `lock_until` and starts the count again. One conditional write, so of any number of
/// attempts at once at most `max_failures` are admitted per lock-out. `false`: not admitted
/// (locked, or the ride is not `accepted` by this driver any more).
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn admit_start_code(
    db: &Db,
    id: RideId,
    driver_id: DriverId,
    max_failures: i64,
    now: i64,
    lock_until: i64,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(&format!(
        "UPDATE rides SET \
         start_code_locked_until_ms = CASE WHEN start_code_failures + 1 >= $3 THEN $5 \
             ELSE start_code_locked_until_ms END, \
         start_code_failures = CASE WHEN start_code_failures + 1 >= $3 THEN 0 \
             ELSE start_code_failures + 1 END \
         WHERE id = $1 AND driver_id = $2 AND {} \
         AND (start_code_locked_until_ms IS NULL OR start_code_locked_until_ms <= $4)",
        from(Action::Start)
    ))
    .bind(id)
    .bind(driver_id)
    .bind(max_failures)
    .bind(now)
    .bind(lock_until)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// `in_progress` → `completed` with the actuals, in `tx` (the charge is enqueued in it too).
/// `false` when it did not apply.
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn complete(
    tx: &mut WriteTx,
    id: RideId,
    driver_id: DriverId,
    actuals: (i64, i64),
    now: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(&format!(
        "UPDATE rides SET {}, distance_m = $3, duration_s = $4, completed_at_ms = $5, \
         updated_at_ms = $5 WHERE id = $1 AND driver_id = $2 AND {}",
        to(Action::Complete),
        from(Action::Complete)
    ))
    .bind(id)
    .bind(driver_id)
    .bind(actuals.0)
    .bind(actuals.1)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A cancellation, decided on the ride as it was read.
#[derive(Debug, Clone, Copy)]
pub struct Cancel<'a> {
    /// The status the fee was computed for.
    pub seen_status: Status,
    /// The acceptance time the fee was computed for.
    pub seen_accepted_at_ms: Option<i64>,
    /// The fee (0 when free).
    pub fee_cents: i64,
    /// Who cancels.
    pub by: &'a str,
    /// Now.
    pub now_ms: i64,
}

/// `requested`/`accepted` → `cancelled`, in `tx`, only if the ride is still as it was read
/// (same status and acceptance, so the fee still holds). `false` when it changed.
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn cancel(tx: &mut WriteTx, id: RideId, c: &Cancel<'_>) -> Result<bool, StorageError> {
    let done = sqlx::query(&format!(
        "UPDATE rides SET {}, cancelled_at_ms = $2, cancelled_by = $3, \
         cancellation_fee_cents = $4, updated_at_ms = $2 \
         WHERE id = $1 AND {} AND status = $5 AND COALESCE(accepted_at_ms, -1) = $6",
        to(Action::Cancel),
        from(Action::Cancel)
    ))
    .bind(id)
    .bind(c.now_ms)
    .bind(c.by)
    .bind(c.fee_cents)
    .bind(c.seen_status.as_str())
    .bind(c.seen_accepted_at_ms.unwrap_or(-1))
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every ride still `requested` since before `cutoff_ms` → `expired`; answers how many.
#[instrument(skip_all)]
pub async fn expire(db: &Db, cutoff_ms: i64, now: i64) -> Result<u64, StorageError> {
    let mut tx = db.begin_write().await?;
    // `status = 'requested'` literally, so both databases use the partial index.
    let done = sqlx::query(&format!(
        "UPDATE rides SET {}, expired_at_ms = $2, updated_at_ms = $2 \
         WHERE status = 'requested' AND requested_at_ms < $1",
        to(Action::Expire)
    ))
    .bind(cutoff_ms)
    .bind(now)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// billing's answer for a ride's charge, recorded in the relay's transaction.
#[derive(Debug, Clone, Copy)]
pub struct Billed<'a> {
    /// The invoice.
    pub invoice_id: &'a str,
    /// Its amount.
    pub amount_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// Its currency.
    pub currency: &'a str,
    /// Now.
    pub now_ms: i64,
}

/// Records billing's invoice on the ride, in `tx` (the one marking the message delivered).
#[instrument(skip_all, fields(ride_id = %id))]
pub async fn record_invoice(
    tx: &mut WriteTx,
    id: RideId,
    b: &Billed<'_>,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE rides SET invoice_id = $2, final_amount_cents = $3, final_driver_cents = $4, \
         final_currency = $5, billed_at_ms = $6, updated_at_ms = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(b.invoice_id)
    .bind(b.amount_cents)
    .bind(b.driver_cents)
    .bind(b.currency)
    .bind(b.now_ms)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One conditional update of `sql` binding `(id, driver_id, now)`; `true` if it applied.
async fn single(
    db: &Db,
    sql: &str,
    id: RideId,
    driver_id: DriverId,
    now: i64,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(sql)
        .bind(id)
        .bind(driver_id)
        .bind(now)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_follow_the_domain_table() {
        assert_eq!(from(Action::Accept), "status IN ('requested')");
        assert_eq!(from(Action::Cancel), "status IN ('requested', 'accepted')");
        assert_eq!(to(Action::Complete), "status = 'completed'");
    }
}
