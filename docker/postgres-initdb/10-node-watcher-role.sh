# Run once by the postgres image, when it creates the database (docker/stack.yml mounts this file
# into /docker-entrypoint-initdb.d/; not executable, so the entrypoint sources it: no exit here).
#
# Creates the login role of the watchers on worker nodes, its password read from a Docker secret by
# psql itself (never on a command line). It gets no privileges here: the tables do not exist yet.
# The panel's `migrate_locked` grants it the history tables after every migration
# (SWARMDECK_NODE_WATCHER_DB_USER), and nothing else: no jobs, users, sessions or settings.
swarmdeck_role=${SWARMDECK_NODE_WATCHER_DB_USER:-swarmdeck_node_watcher}
swarmdeck_password_file=${SWARMDECK_NODE_WATCHER_DB_PASSWORD_FILE:-/run/secrets/swarmdeck_node_watcher_db_password}
if [ -s "$swarmdeck_password_file" ]; then
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$swarmdeck_role" -v password_file="$swarmdeck_password_file" <<'EOSQL'
\set secret `cat :'password_file'`
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'secret') \gexec
\unset secret
EOSQL
  echo "created the database role $swarmdeck_role for the watchers on worker nodes"
else
  echo "no $swarmdeck_password_file: the role $swarmdeck_role was not created (node-watcher cannot connect)" >&2
fi
unset swarmdeck_role swarmdeck_password_file
