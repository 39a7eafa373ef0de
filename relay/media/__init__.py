"""Attachments as files: cleaning scans and photos of letters (metadata stripped, re-encoded)."""
