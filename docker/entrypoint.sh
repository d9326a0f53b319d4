#!/bin/sh
# One image, three roles: web (migrates first), worker, watcher.
set -e
case "$1" in
  web)
    python manage.py migrate --no-input
    exec daphne -b 0.0.0.0 -p 8000 dashboard.asgi:application ;;
  worker) exec celery -A dashboard worker -l INFO ;;
  watcher) exec python manage.py watch_swarm ;;
  *) exec "$@" ;;
esac
