"""Moderation rules that need no server: contact-detail and risk detection, redaction.

`find_contact_details` and `find_risk_phrases` are contract entry points (see DESIGN.md).
"""

from __future__ import annotations

from moderation.detection import find_contact_details
from moderation.findings import KINDS, Finding
from moderation.risk import find_risk_phrases

__all__ = ["KINDS", "Finding", "find_contact_details", "find_risk_phrases"]
