-- Rides priced otherwise than the driver reported (contractual's `review`): why, and what was
-- reported, for an admin to review (GET /billing/v1/invoices?review=true).
ALTER TABLE invoices ADD COLUMN review_reason TEXT;
ALTER TABLE invoices ADD COLUMN reported_distance_m BIGINT;
ALTER TABLE invoices ADD COLUMN reported_duration_s BIGINT;
CREATE INDEX invoices_under_review ON invoices (created_at_ms, id) WHERE review_reason IS NOT NULL;
