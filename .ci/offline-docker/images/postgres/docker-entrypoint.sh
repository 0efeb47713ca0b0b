#!/usr/bin/env bash
# Entrypoint of the postgres stand-in (.ci/offline-docker/build-postgres-image.sh), written here to behave as the official
# image's does for what users rely on:
# - POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), each
#   also as *_FILE (Docker secrets), and PGDATA;
# - first start only (no PG_VERSION in PGDATA): initdb, the database, then /docker-entrypoint-initdb.d/*.sh (run if
#   executable, else sourced), *.sql and *.sql.gz in name order, against a server on the Unix socket only;
# - any uid (`user: 1000:1000`): initdb gets a passwd entry through nss_wrapper; as root it hands PGDATA to postgres
#   and drops to it;
# - then `postgres` in the foreground, on 0.0.0.0:5432, password auth (scram) for every network client.
set -Eeuo pipefail

# VAR [default]: VAR's value, or the contents of the file VAR_FILE names; never both.
file_env() {
  local var=$1 file="$1_FILE" default=${2:-} value
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then echo "error: both $var and $file are set" >&2; exit 1; fi
  if [ -n "${!file:-}" ]; then value="$(<"${!file}")"; else value="${!var:-$default}"; fi
  export "$var=$value"; unset "$file"
}

# psql as the superuser on the Unix socket of the temporary server.
sql() { PGHOST='' PGHOSTADDR='' psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"; }

# initdb looks the current uid up in /etc/passwd: give an arbitrary one an entry for its run.
with_passwd_entry() {
  if getent passwd "$(id -u)" >/dev/null; then "$@"; return; fi
  local passwd group status=0
  passwd=$(mktemp) group=$(mktemp)
  printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" >"$passwd"
  printf 'postgres:x:%s:\n' "$(id -g)" >"$group"
  LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=$passwd NSS_WRAPPER_GROUP=$group "$@" || status=$?
  rm -f "$passwd" "$group"
  return "$status"
}

initialise() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "error: the database is uninitialised and POSTGRES_PASSWORD is empty (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  ls /docker-entrypoint-initdb.d/ >/dev/null # unreadable init scripts fail now, not half-way
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
  with_passwd_entry initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
  export PGPASSWORD="$POSTGRES_PASSWORD"
  if [ -z "$(sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
    sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
  fi
  local f
  # shellcheck disable=SC1090 # the init scripts are the user's
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
      *.sql) echo "$0: running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | sql --dbname "$POSTGRES_DB" ;;
      */\*) ;; # an empty folder
      *) echo "$0: ignoring $f" ;;
    esac
  done
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  echo "PostgreSQL init process complete; ready for start up."
}

# Flags alone run postgres with them; any other command (psql, bash) runs as given.
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && ! printf '%s\n' "$@" | grep -qxE -- '-\?|--help|--describe-config|-V|--version'; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA" || : # PostgreSQL refuses a data folder others can read; fails harmlessly if not ours
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres {} +
    find /var/run/postgresql \! -user postgres -exec chown postgres:postgres {} + 2>/dev/null || :
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [ -s "$PGDATA/PG_VERSION" ]; then
    echo "PostgreSQL database directory appears to contain a database; skipping initialisation"
  else
    initialise
  fi
fi
exec "$@"
