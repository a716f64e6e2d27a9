"""Conventions, territories, quota, ledger, dashboard and reports."""
