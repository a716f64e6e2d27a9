"""Offers: expert days a group lends."""
