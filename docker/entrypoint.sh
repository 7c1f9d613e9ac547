#!/bin/sh
# Quorum container entrypoint: map AppAPI's variables, migrate once, then exec the command.
#
# Run by Nextcloud's AppAPI (docker-install), the container gets APP_ID, APP_SECRET,
# APP_VERSION, APP_HOST, APP_PORT, APP_PERSISTENT_STORAGE and NEXTCLOUD_URL: they become the
# QUORUM_* settings (AppAPI's address, port and storage win over the image defaults). The migrations run here, once, before any
# worker starts (gunicorn workers never migrate). Secrets are never echoed.
set -eu

if [ -n "${APP_SECRET:-}" ] && [ "${QUORUM_MODE:-appapi}" = "appapi" ]; then
  export QUORUM_MODE=appapi
  export QUORUM_APP_SECRET="${QUORUM_APP_SECRET:-$APP_SECRET}"
  export QUORUM_APP_ID="${QUORUM_APP_ID:-${APP_ID:-quorum}}"
  export QUORUM_APP_VERSION="${QUORUM_APP_VERSION:-${APP_VERSION:-}}"
  export QUORUM_NEXTCLOUD_URL="${QUORUM_NEXTCLOUD_URL:-${NEXTCLOUD_URL:-}}"
  export QUORUM_HOST="${APP_HOST:-${QUORUM_HOST:-0.0.0.0}}"
  export QUORUM_PORT="${APP_PORT:-${QUORUM_PORT:-5000}}"
  export QUORUM_DATA_DIR="${APP_PERSISTENT_STORAGE:-${QUORUM_DATA_DIR:-/home/quorum/data}}"
fi

case "${1:-web}" in
  web)
    quorum db upgrade
    exec gunicorn sidecar.wsgi:app \
      --bind "${QUORUM_HOST:-0.0.0.0}:${QUORUM_PORT:-5000}" \
      --workers "${QUORUM_WEB_WORKERS:-2}" \
      --timeout 120 --graceful-timeout 60 \
      --log-level "$(echo "${QUORUM_LOG_LEVEL:-info}" | tr 'A-Z' 'a-z')" \
      --access-logfile - --logger-class sidecar.web.access_log.AccessLogger \
      --access-logformat '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s' \
      --forwarded-allow-ips "${QUORUM_FORWARDED_ALLOW_IPS:-127.0.0.1}"
    ;;
  scheduler)
    quorum db upgrade
    exec quorum scheduler --tick "${QUORUM_SCHEDULER_TICK:-5}"
    ;;
  *)
    exec "$@"
    ;;
esac
