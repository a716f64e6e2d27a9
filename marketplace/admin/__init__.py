"""Organisations and users, managed by coordinators and admins."""
