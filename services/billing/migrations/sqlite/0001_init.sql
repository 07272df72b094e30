-- Invoices: one per ride at most (charges are idempotent per ride).
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    ride_id TEXT NOT NULL UNIQUE,
    rider_id TEXT NOT NULL,
    driver_id TEXT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'paid')),
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX invoices_by_rider ON invoices (rider_id, created_at_ms);
