"""The spreadsheet round trip: import format v1 in, the same format out."""
