-- Dispatch and the ride lifecycle (DESIGN.md §5, §5a).

-- A driver's last known position and its H3 cell (resolution 8, see src/domain/geo.rs).
ALTER TABLE drivers ADD COLUMN cell BIGINT;
ALTER TABLE drivers ADD COLUMN located_at_ms BIGINT;
-- Supply near a point: online drivers by cell.
CREATE INDEX drivers_online_by_cell ON drivers (cell) WHERE online = 1;

-- One ride per trip of client_app_api (the id is the trip's id).
CREATE TABLE rides (
    id TEXT PRIMARY KEY,
    rider_id TEXT NOT NULL,
    quote_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('requested', 'accepted', 'in_progress', 'completed', 'cancelled', 'expired')),
    driver_id TEXT,
    start_code TEXT NOT NULL,
    start_code_failures BIGINT NOT NULL DEFAULT 0,
    start_code_locked_until_ms BIGINT,
    pickup_lat DOUBLE PRECISION NOT NULL,
    pickup_lon DOUBLE PRECISION NOT NULL,
    pickup_cell BIGINT NOT NULL,
    dropoff_lat DOUBLE PRECISION,
    dropoff_lon DOUBLE PRECISION,
    -- The quote, as contractual priced it.
    tariff_code TEXT NOT NULL,
    tariff_version BIGINT NOT NULL,
    currency TEXT NOT NULL,
    quoted_amount_cents BIGINT NOT NULL,
    quoted_driver_cents BIGINT NOT NULL,
    quoted_distance_m BIGINT NOT NULL,
    quoted_duration_s BIGINT NOT NULL,
    -- The tariff version's cancellation terms, fixed when the ride opens.
    free_cancellation_s BIGINT NOT NULL,
    late_cancellation_fee_cents BIGINT NOT NULL,
    -- What the cancellation cost (0 when free); set when cancelled.
    cancellation_fee_cents BIGINT,
    cancelled_by TEXT,
    -- Actuals, reported by the driver at completion.
    distance_m BIGINT,
    duration_s BIGINT,
    -- Billing's answer, recorded by the outbox relay.
    invoice_id TEXT,
    final_amount_cents BIGINT,
    final_driver_cents BIGINT,
    final_currency TEXT,
    billed_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    -- When it last became `requested` (opened, or released): the expiry clock.
    requested_at_ms BIGINT NOT NULL,
    accepted_at_ms BIGINT,
    started_at_ms BIGINT,
    completed_at_ms BIGINT,
    cancelled_at_ms BIGINT,
    expired_at_ms BIGINT,
    updated_at_ms BIGINT NOT NULL
);

-- A driver holds at most one active ride: the database decides, whatever the number of tasks.
CREATE UNIQUE INDEX rides_one_active_per_driver ON rides (driver_id)
    WHERE status IN ('accepted', 'in_progress');
-- Open rides near a driver: requested rides by pickup cell.
CREATE INDEX rides_open_by_cell ON rides (pickup_cell) WHERE status = 'requested';
-- Expiry sweeps.
CREATE INDEX rides_open_since ON rides (requested_at_ms) WHERE status = 'requested';
-- A driver's rides, newest first.
CREATE INDEX rides_by_driver ON rides (driver_id, created_at_ms, id);
