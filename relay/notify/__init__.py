"""Notifications: the outbox worker (what to send, claimed with leases) and the mailer (how)."""
