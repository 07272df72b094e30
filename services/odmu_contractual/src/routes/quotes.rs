//! Quotes: a price for a ride, fixed for a while, under one tariff version.

pub mod create;
pub mod get;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::geo;
use crate::domain::pricing::{Component, ComponentKind};
use crate::store::quotes::QuoteRow;
use odmu_http::Fields;

/// A point on the map (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Latitude, -90 to 90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

impl Point {
    /// Records a problem with each coordinate that is out of range, as `{field}.lat`/`.lon`.
    pub fn check(&self, field: &str, fields: &mut Fields) {
        if let Some(problem) = geo::latitude_problem(self.lat) {
            fields.fail(&format!("{field}.lat"), problem);
        }
        if let Some(problem) = geo::longitude_problem(self.lon) {
            fields.fail(&format!("{field}.lon"), problem);
        }
    }

    fn from_columns(lat: Option<f64>, lon: Option<f64>) -> Option<Self> {
        Some(Self {
            lat: lat?,
            lon: lon?,
        })
    }
}

/// One line of a price breakdown; the lines of a price sum exactly to its `amount_cents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Line {
    /// What the line is: `base_fare`, `distance`, `time`, `minimum_fare_adjustment`, `surge`
    /// and `booking_fee` for a ride (in that order, zeros included), `cancellation_fee` for a
    /// cancellation.
    #[schema(example = "distance")]
    pub component: String,
    /// Its amount in the currency's minor unit.
    pub amount_cents: i64,
}

impl From<&Component> for Line {
    fn from(c: &Component) -> Self {
        Self {
            component: c.component.as_str().to_owned(),
            amount_cents: c.amount_cents,
        }
    }
}

/// A quote: the price of a ride under one tariff version, and what it was priced for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteView {
    /// The quote's id.
    pub id: odmu_ids::QuoteId,
    /// The rider it is for.
    pub rider_id: odmu_ids::RiderId,
    /// The tariff it was priced under.
    pub tariff_code: String,
    /// The tariff version it was priced under; final prices use this version.
    pub tariff_version: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// What the rider pays: the sum of `breakdown`.
    pub amount_cents: i64,
    /// The platform's share: commission on the surged fare, plus the booking fee.
    pub platform_cents: i64,
    /// The driver's share: `amount_cents - platform_cents`.
    pub driver_cents: i64,
    /// Surge multiplier applied, in bps (10 000 = no surge).
    pub surge_multiplier_bps: i64,
    /// The lines of the price, summing to `amount_cents`.
    pub breakdown: Vec<Line>,
    /// Pickup point, if given.
    pub pickup: Option<Point>,
    /// Drop-off point, if given.
    pub dropoff: Option<Point>,
    /// Distance priced, in metres.
    pub distance_m: i64,
    /// Duration priced, in seconds (given, or estimated from the distance).
    pub duration_s: i64,
    /// Demand the multiplier came from, in bps (0 unless a service gave one).
    pub demand_bps: i64,
    /// Whether a trip can be booked with it: only quotes the platform priced itself (a
    /// service, from the pickup and drop-off and the demand it measured: client_app_api's
    /// `POST /client/v1/quotes`). A rider's own quote here is an estimate.
    pub bookable: bool,
    /// When it was made (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it stops being bookable (RFC 3339 UTC). It still reads, and still prices the
    /// ride it was booked for, after that.
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// The ride lines of a stored quote, in breakdown order.
pub fn lines_of(q: &QuoteRow) -> Vec<Line> {
    [
        (ComponentKind::BaseFare, q.base_fare_cents),
        (ComponentKind::Distance, q.distance_cents),
        (ComponentKind::Time, q.time_cents),
        (
            ComponentKind::MinimumFareAdjustment,
            q.minimum_fare_adjustment_cents,
        ),
        (ComponentKind::Surge, q.surge_cents),
        (ComponentKind::BookingFee, q.booking_fee_cents),
    ]
    .iter()
    .map(|(kind, amount_cents)| Line {
        component: kind.as_str().to_owned(),
        amount_cents: *amount_cents,
    })
    .collect()
}

impl From<QuoteRow> for QuoteView {
    fn from(q: QuoteRow) -> Self {
        Self {
            bookable: q.is_bookable(),
            breakdown: lines_of(&q),
            pickup: Point::from_columns(q.pickup_lat, q.pickup_lon),
            dropoff: Point::from_columns(q.dropoff_lat, q.dropoff_lon),
            created_at: odmu_storage::rfc3339(q.created_at_ms),
            expires_at: odmu_storage::rfc3339(q.expires_at_ms),
            id: q.id,
            rider_id: q.rider_id,
            tariff_code: q.tariff_code,
            tariff_version: q.tariff_version,
            currency: q.currency,
            amount_cents: q.amount_cents,
            platform_cents: q.platform_cents,
            driver_cents: q.driver_cents,
            surge_multiplier_bps: q.multiplier_bps,
            distance_m: q.distance_m,
            duration_s: q.duration_s,
            demand_bps: q.demand_bps,
        }
    }
}
