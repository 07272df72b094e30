-- One open ride per rider (domain/rider_limits.rs): a rider counts once in the demand near a
-- pickup, however many bookings they try; the database decides, whatever the number of tasks.
CREATE UNIQUE INDEX rides_one_open_per_rider ON rides (rider_id)
    WHERE status IN ('requested', 'accepted', 'in_progress');
-- A rider's free cancellations in the last window, read before each booking.
CREATE INDEX rides_free_cancellations_by_rider ON rides (rider_id, cancelled_at_ms)
    WHERE cancelled_by = 'rider' AND cancellation_fee_cents = 0;
