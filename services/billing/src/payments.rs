//! The seam between recording a payment and capturing it.
//!
//! Card processing stays outside billing today: a payment here records a capture that a
//! payment service provider (PSP) already reported, with its external `reference`. The step
//! that turns a payment request into a capture is [`Capture`]; its only implementation,
//! [`ReportedCapture`], accepts the reported capture as it is.
//!
//! Adding a PSP later means one more implementation (a typed client under `clients/`), chosen
//! in `state.rs`. It runs after the invoice was checked (owner, open, exact amount) and before
//! the write transaction; it should pass the request's Idempotency-Key on as the PSP's own,
//! so a retried request never captures twice. If the recording then loses a race (another
//! payment won: 409), the implementation is the place that voids the capture at the PSP.

use odmu_http::BoxFuture;

use crate::domain::invoice::PaymentMethod;
use crate::domain::money::Currency;

/// What is to be captured: one whole invoice.
#[derive(Debug, Clone, Copy)]
pub struct CaptureRequest<'a> {
    /// The invoice paid.
    pub invoice_id: &'a str,
    /// The paying rider.
    pub rider_id: &'a str,
    /// The invoice's whole amount, in minor units.
    pub amount_cents: i64,
    /// Its currency.
    pub currency: Currency,
    /// Card or cash.
    pub method: PaymentMethod,
    /// The external reference the caller reported (1 to 128 characters).
    pub reference: &'a str,
}

/// A capture that happened: what billing records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The external reference to keep with the payment.
    pub reference: String,
}

/// Why a capture did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The provider refused it (answered 422: the payment cannot be made this way).
    #[error("the payment was declined: {0}")]
    Declined(String),
    /// The provider could not be reached (answered 503: retry with the same key).
    #[error("the payment provider is unavailable")]
    Unavailable,
}

/// Turns a checked payment request into a capture.
pub trait Capture: Send + Sync + 'static {
    /// Captures `request`, or says why not.
    fn capture<'a>(
        &'a self,
        request: &'a CaptureRequest<'a>,
    ) -> BoxFuture<'a, Result<Captured, CaptureError>>;
}

/// Today's capture: the PSP already captured the money and reported it; record that report.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportedCapture;

impl Capture for ReportedCapture {
    fn capture<'a>(
        &'a self,
        request: &'a CaptureRequest<'a>,
    ) -> BoxFuture<'a, Result<Captured, CaptureError>> {
        Box::pin(async move {
            Ok(Captured {
                reference: request.reference.to_owned(),
            })
        })
    }
}
