"""The ledger of days delivered against the conventions: exactly once per session."""
