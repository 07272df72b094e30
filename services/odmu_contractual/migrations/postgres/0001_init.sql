-- Tariffs are versioned: a change is a new row with the next version, never an update.
CREATE TABLE tariffs (
    code TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    base_fare_cents BIGINT NOT NULL CHECK (base_fare_cents >= 0),
    per_km_cents BIGINT NOT NULL CHECK (per_km_cents >= 0),
    per_minute_cents BIGINT NOT NULL CHECK (per_minute_cents >= 0),
    minimum_fare_cents BIGINT NOT NULL CHECK (minimum_fare_cents >= 0),
    commission_bps BIGINT NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
    cancellation_fee_cents BIGINT NOT NULL CHECK (cancellation_fee_cents >= 0),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (code, version)
);
