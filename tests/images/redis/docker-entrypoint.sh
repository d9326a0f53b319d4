#!/bin/sh
# As the official image: options alone mean redis-server; redis-server itself runs as the redis
# user, owning /data. Any other command (e.g. sh -c 'exec redis-server --requirepass ...') is run
# as given.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis:redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
# The official image sets this umask, so the dump is not world-readable.
[ "$(umask)" = 0022 ] && umask 0077
exec "$@"
