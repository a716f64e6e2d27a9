"""Communes (INSEE code, name, postcodes, coordinates), geocoding and distances."""
