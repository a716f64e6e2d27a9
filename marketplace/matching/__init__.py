"""The matcher: pure scoring (text.py, vocabulary.py, scoring.py) and its use (services.py)."""
