-- A trip keeps only what is the rider's: which quote they booked, under which Idempotency-Key,
-- and when. The ride's truth (status, driver, prices, invoice) lives in driver_api, under the
-- same id. 0001's table was never written (no route used it), so it is replaced.
DROP INDEX trips_by_rider;
DROP TABLE trips;

CREATE TABLE trips (
    id TEXT PRIMARY KEY,
    rider_id TEXT NOT NULL,
    quote_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    -- One trip per quote: a booking retried under any key finds this row again.
    CONSTRAINT trips_one_per_quote UNIQUE (rider_id, quote_id)
);
-- A rider's trips, newest first (keyset pagination on created_at_ms, then id).
CREATE INDEX trips_by_rider ON trips (rider_id, created_at_ms, id);
