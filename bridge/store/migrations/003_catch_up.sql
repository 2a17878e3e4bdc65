-- The catch-up sweep looks for rooms with recent events: an index instead of a scan of every event
-- ever received.
CREATE INDEX matrix_events_received ON matrix_events (received_at);
