#!/usr/bin/env bash
# Start the scheduler process beside the web app; stopping one stops both.
# APP_ENV=production serves with gunicorn (gunicorn.conf.py), otherwise Flask's server.
set -euo pipefail
FLASK=(.venv/bin/flask --app wsgi)
"${FLASK[@]}" scheduler run &
scheduler_pid=$!
trap 'kill "$scheduler_pid" 2>/dev/null || true' EXIT INT TERM
echo "Web app on http://127.0.0.1:${PORT:-5000}  (Ctrl-C stops the web app and the scheduler)"
if [ "${APP_ENV:-development}" = "production" ]; then
  GUNICORN_BIND="127.0.0.1:${PORT:-5000}" .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
else
  "${FLASK[@]}" run --host 127.0.0.1 --port "${PORT:-5000}" --no-reload
fi
