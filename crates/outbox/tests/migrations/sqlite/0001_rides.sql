-- The producing row of the service test: a ride, and the invoice its charge produced.
CREATE TABLE rides (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    invoice_id TEXT
);
