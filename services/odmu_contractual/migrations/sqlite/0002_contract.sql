-- The tariffs table of 0001 predates the pricing rules (DESIGN.md §5a) and was never written
-- to: it is replaced by one holding every term of a tariff. Each row is one immutable
-- version; a change is a new row with the next version, never an update.
DROP TABLE tariffs;

CREATE TABLE tariffs (
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
    version BIGINT NOT NULL CHECK (version >= 1),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    base_fare_cents BIGINT NOT NULL CHECK (base_fare_cents >= 0),
    booking_fee_cents BIGINT NOT NULL CHECK (booking_fee_cents >= 0),
    per_km_cents BIGINT NOT NULL CHECK (per_km_cents >= 0),
    per_minute_cents BIGINT NOT NULL CHECK (per_minute_cents >= 0),
    minimum_fare_cents BIGINT NOT NULL CHECK (minimum_fare_cents >= 0),
    commission_bps BIGINT NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
    cancellation_fee_cents BIGINT NOT NULL CHECK (cancellation_fee_cents >= 0),
    free_cancellation_s BIGINT NOT NULL CHECK (free_cancellation_s >= 0),
    average_speed_kmh BIGINT NOT NULL CHECK (average_speed_kmh >= 1),
    upfront_tolerance_bps BIGINT NOT NULL CHECK (upfront_tolerance_bps >= 0),
    -- The surge table as published: a JSON array of {min_demand_bps, multiplier_bps}.
    surge_steps TEXT NOT NULL,
    max_multiplier_bps BIGINT NOT NULL CHECK (max_multiplier_bps >= 10000),
    -- The admin's account id, or the service itself for the tariff it creates at start-up.
    published_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (code, version)
);

-- A quote keeps everything needed to reproduce its price: the tariff version, the
-- multiplier, the distance and duration it was priced for, and each line of the breakdown.
CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    rider_id TEXT NOT NULL,
    -- Who asked: the rider, or the service that quoted on the rider's behalf.
    created_by TEXT NOT NULL,
    tariff_code TEXT NOT NULL,
    tariff_version BIGINT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    distance_m BIGINT NOT NULL CHECK (distance_m >= 1),
    duration_s BIGINT NOT NULL CHECK (duration_s >= 0),
    demand_bps BIGINT NOT NULL CHECK (demand_bps >= 0),
    multiplier_bps BIGINT NOT NULL CHECK (multiplier_bps >= 10000),
    base_fare_cents BIGINT NOT NULL,
    distance_cents BIGINT NOT NULL,
    time_cents BIGINT NOT NULL,
    minimum_fare_adjustment_cents BIGINT NOT NULL,
    surge_cents BIGINT NOT NULL,
    booking_fee_cents BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    platform_cents BIGINT NOT NULL,
    driver_cents BIGINT NOT NULL,
    pickup_lat DOUBLE PRECISION,
    pickup_lon DOUBLE PRECISION,
    dropoff_lat DOUBLE PRECISION,
    dropoff_lon DOUBLE PRECISION,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    -- The breakdown sums exactly to the amount, and the amount splits exactly.
    CHECK (amount_cents = base_fare_cents + distance_cents + time_cents
        + minimum_fare_adjustment_cents + surge_cents + booking_fee_cents),
    CHECK (amount_cents = platform_cents + driver_cents),
    CHECK ((pickup_lat IS NULL) = (pickup_lon IS NULL)),
    CHECK ((dropoff_lat IS NULL) = (dropoff_lon IS NULL)),
    FOREIGN KEY (tariff_code, tariff_version) REFERENCES tariffs (code, version)
);

-- Driver terms: versions 1, 2, 3... with no gap; the highest is the current one.
CREATE TABLE terms (
    version BIGINT PRIMARY KEY CHECK (version >= 1),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL
);

-- A driver's agreement to one version of the terms; never changed or deleted.
CREATE TABLE agreements (
    driver_id TEXT NOT NULL,
    terms_version BIGINT NOT NULL REFERENCES terms (version),
    agreed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (driver_id, terms_version)
);
