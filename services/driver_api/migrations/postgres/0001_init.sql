-- One profile per driver (the id is the driver's account id in odmu_auth).
CREATE TABLE drivers (
    driver_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    vehicle_plate TEXT NOT NULL,
    vehicle_class TEXT NOT NULL,
    online BIGINT NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    updated_at_ms BIGINT NOT NULL
);
