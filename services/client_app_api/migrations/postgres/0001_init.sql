-- Trips as the rider sees them; the ride itself lives in driver_api.
CREATE TABLE trips (
    id TEXT PRIMARY KEY,
    rider_id TEXT NOT NULL,
    quote_id TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('requested', 'accepted', 'in_progress', 'completed', 'cancelled')),
    pickup_lat DOUBLE PRECISION NOT NULL,
    pickup_lon DOUBLE PRECISION NOT NULL,
    dropoff_lat DOUBLE PRECISION NOT NULL,
    dropoff_lon DOUBLE PRECISION NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX trips_by_rider ON trips (rider_id, created_at_ms);
