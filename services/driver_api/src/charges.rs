//! Must-deliver charges to billing (DESIGN.md §5a) through the transactional outbox: a ride
//! completed, or cancelled with a fee, enqueues its charge in the transaction that changes its
//! status; the relay (a worker of every task) delivers it until billing answers 2xx, and
//! records billing's invoice on the ride in the transaction that marks the message delivered.

use std::sync::Arc;

use odmu_ids::RideId;
use odmu_outbox::{BoxFuture, Failure, Handler, Message};
use odmu_storage::{StorageError, WriteTx, now_millis};
use serde_json::Value;

use crate::clients::billing::{Billing, ChargeRequest, Invoice};
use crate::store::rides::RideRow;
use crate::store::transitions::{self, Billed};

/// The topic of every charge message.
pub const TOPIC: &str = "billing.charge";

/// What is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A completed ride: its final price.
    Ride,
    /// A cancellation after the free window: the tariff's fee.
    Cancellation,
}

impl Kind {
    /// billing's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ride => "ride",
            Self::Cancellation => "cancellation",
        }
    }
}

/// The message id of a ride's charge: `{ride_id}:{kind}`, billing's idempotency key too, so
/// re-running a transition enqueues nothing new and a redelivery makes no second invoice.
pub fn message_id(ride_id: RideId, kind: Kind) -> String {
    format!("{ride_id}:{}", kind.as_str())
}

/// The charge of `ride` (a completed ride carries its actuals).
pub fn charge_of(ride: &RideRow, kind: Kind) -> ChargeRequest {
    let ride_kind = kind == Kind::Ride;
    ChargeRequest {
        ride_id: ride.id,
        kind: kind.as_str().to_owned(),
        rider_id: ride.rider_id,
        driver_id: ride.driver_id,
        quote_id: ride.quote_id,
        distance_m: ride.distance_m.filter(|_| ride_kind),
        duration_s: ride.duration_s.filter(|_| ride_kind),
        elapsed_s: elapsed_s(ride).filter(|_| ride_kind),
    }
}

/// Whole seconds from the start to the completion, rounded up: the longest the ride can have
/// taken, so an honest report of its duration is never cut.
fn elapsed_s(ride: &RideRow) -> Option<i64> {
    let ms = ride.completed_at_ms?.checked_sub(ride.started_at_ms?)?;
    Some((ms.max(0) + 999) / 1000)
}

/// Enqueues the charge of `ride` in `tx`, the transaction that changed its status. Call
/// `Outbox::notify` after the commit.
pub async fn enqueue(tx: &mut WriteTx, ride: &RideRow, kind: Kind) -> Result<(), StorageError> {
    let payload = serde_json::to_value(charge_of(ride, kind)).unwrap_or(Value::Null);
    odmu_outbox::enqueue(
        tx,
        TOPIC,
        &message_id(ride.id, kind),
        &payload,
        now_millis(),
    )
    .await?;
    Ok(())
}

/// The relay's handler: POSTs each charge to billing with the service token.
#[derive(Debug, Clone)]
pub struct ChargeRelay {
    billing: Option<Billing>,
}

impl ChargeRelay {
    /// A handler calling `billing` (`None` when this task has no credentials: every delivery
    /// then fails transiently and waits, logged, until a task with credentials takes it).
    pub fn new(billing: Option<Billing>) -> Arc<Self> {
        Arc::new(Self { billing })
    }
}

impl Handler for ChargeRelay {
    fn deliver<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Value, Failure>> {
        Box::pin(async move {
            if message.topic != TOPIC {
                return Err(Failure::Permanent(format!(
                    "unknown topic {}",
                    message.topic
                )));
            }
            let charge: ChargeRequest = serde_json::from_value(message.payload.clone())
                .map_err(|e| Failure::Permanent(format!("not a charge: {e}")))?;
            let Some(billing) = &self.billing else {
                return Err(Failure::Transient(
                    "no credentials to call billing".to_owned(),
                ));
            };
            let invoice = billing
                .charge(&charge, &message.id)
                .await
                .map_err(|e| Failure::from_client_error(&e))?;
            serde_json::to_value(invoice).map_err(|e| Failure::Permanent(e.to_string()))
        })
    }

    fn delivered<'a>(
        &'a self,
        tx: &'a mut WriteTx,
        message: &'a Message,
        answer: &'a Value,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            // `deliver` only answers what parsed as an invoice, for what parsed as a charge.
            let (Ok(charge), Ok(invoice)) = (
                serde_json::from_value::<ChargeRequest>(message.payload.clone()),
                serde_json::from_value::<Invoice>(answer.clone()),
            ) else {
                tracing::error!(outbox_message_id = %message.id, "not a charge and its invoice");
                return Ok(());
            };
            let billed = Billed {
                invoice_id: &invoice.id,
                amount_cents: invoice.amount_cents,
                driver_cents: invoice.driver_cents,
                currency: &invoice.currency,
                now_ms: now_millis(),
            };
            transitions::record_invoice(tx, charge.ride_id, &billed).await?;
            tracing::info!(ride_id = %charge.ride_id, invoice_id = %invoice.id, kind = ?message.payload["kind"], "ride billed");
            Ok(())
        })
    }
}
