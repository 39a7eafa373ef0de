"""The audit trail: the MAC chain over `audit_events` (chain.py) and its anchor in keys/
(anchor.py), which shows that the newest events were not cut off."""

from relay.audit.chain import GENESIS, AuditEvent, AuditLog, VerifyResult

__all__ = ["GENESIS", "AuditEvent", "AuditLog", "VerifyResult"]
