"""gunicorn settings for the web app (`gunicorn -c gunicorn.conf.py wsgi:app`).

Read by `make run-production` and by the load bench. Every value can be overridden from the
environment (GUNICORN_WORKERS, GUNICORN_BIND, GUNICORN_TIMEOUT) without editing this file.
"""

import multiprocessing
import os

# Sync workers: every request is short and holds one database connection; a sync worker per
# request is the simplest model that stays correct (no shared state, no greenlet patching of
# psycopg). Two per core plus one covers the time a request waits for the database.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A request slower than this is stuck (the slowest page, a 20 MB import preview, takes a
# few seconds): the worker is killed and respawned rather than left hanging.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Behind a reverse proxy that keeps connections open.
keepalive = 5
# Workers are recycled now and then, so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
# The app is imported once in the master, then forked: less memory, faster respawns. The
# app factory opens no connection at import, so no socket is shared across the fork.
preload_app = True
accesslog = "-"
errorlog = "-"


def post_fork(server, worker):
    """Each worker starts with its own empty connection pool (none inherited from the master)."""
    from marketplace.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
