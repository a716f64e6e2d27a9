"""Scheduled jobs: their bodies, their records and the one scheduler definition."""
