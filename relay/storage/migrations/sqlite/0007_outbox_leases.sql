-- Several `relay serve` processes may share one database: an outbox worker claims due
-- notifications with a lease (who, until when) in one write, sends them outside any
-- transaction, then marks each sent. A claim whose lease ran out (its process died) is taken by
-- another worker and sent again, with the same Message-ID.
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN lease_until TEXT;
