#!/bin/sh
# One image, three roles: web (migrates first), worker, watcher.
set -e
case "$1" in
  web)
    python manage.py migrate --no-input
    exec python manage.py serve --bind 0.0.0.0 --port 8000 ;;
  worker) exec celery -A dashboard worker -l INFO -B --schedule /data/celerybeat-schedule ;;
  watcher) exec python manage.py watch_swarm ;;
  *) exec "$@" ;;
esac
