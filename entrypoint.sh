#!/bin/sh
# Production start: bring the schema and reference data up to date, collect static files, serve.
# docker-compose runs it in the web container; CI runs the same script against its PostgreSQL.
set -eu
python manage.py migrate --noinput
if python manage.py help loadreference >/dev/null 2>&1; then
  python manage.py loadreference
fi
python manage.py collectstatic --noinput --verbosity 0
exec gunicorn planner.wsgi \
  --bind "0.0.0.0:${PORT:-8000}" \
  --workers "${WEB_CONCURRENCY:-3}" \
  --access-logfile - \
  --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
