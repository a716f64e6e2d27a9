"""Users, organisations, login, roles and permission helpers."""
