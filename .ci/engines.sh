#!/usr/bin/env bash
# The real SQL engines the warehouse tests run the printed SQL on (issue 19).
#   .ci/engines.sh start DIR   installs what is missing, starts PostgreSQL on loopback and writes
#                              DIR/env (the JOURNEY_TEST_* variables the tests read)
#   .ci/engines.sh stop DIR    stops the PostgreSQL server it started
# PostgreSQL: Debian's server, initdb + pg_ctl in a new folder /tmp/journey-engines-pg-XXXXXX (DIR/pg
# names it) on 127.0.0.1 at a free port, or $JOURNEY_TEST_POSTGRES_PORT (run as the postgres user
# when we are root), a password-protected role `journey` owning database `journey`, and a role
# `journey_reader` with the same password and no grants (for the permission test). Each start has
# its own folder and port, so runs with different DIRs (two CI runs on one machine) do not stop
# each other's server, as they did with one fixed folder and port.
# DuckDB: the CLI from PyPI (duckdb-cli); Spark: pyspark from PyPI with Java 17; both in one
# virtual environment that every DIR shares, $JOURNEY_ENGINES_CACHE/venv (default
# ${XDG_CACHE_HOME:-~/.cache}/journey-engines/venv), made once under a lock.
set -euo pipefail
action=${1:?start or stop}
dir=$(mkdir -p "${2:?folder}" && cd "$2" && pwd)
bin=/usr/lib/postgresql/15/bin
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# The server this DIR started last, if it is still there.
stop_server() {
  [ -f "$dir/pg" ] || return 0
  local pg
  pg=$(cat "$dir/pg")
  [ -f "$pg/data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null || true
  rm -rf "$pg" "$dir/pg"
}

if [ "$action" = stop ]; then
  stop_server
  exit 0
fi

missing=()
[ -x "$bin/initdb" ] || missing+=(postgresql-15)
command -v psql >/dev/null || missing+=(postgresql-client-15)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
cache=${JOURNEY_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/journey-engines}
venv=$cache/venv
mkdir -p "$cache"
(
  # Two starts at once would install into the same folder: the second waits for the first.
  flock 9
  if [ ! -x "$venv/bin/duckdb" ] || ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q duckdb-cli pyspark
  fi
) 9>"$cache/venv.lock"

# PostgreSQL: a throwaway cluster owned by the postgres user when we are root. It lives outside
# DIR: the postgres user may not enter a root-owned home.
stop_server
port=${JOURNEY_TEST_POSTGRES_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
pg=$(mktemp -d /tmp/journey-engines-pg-XXXXXX)
echo "$pg" >"$dir/pg"
mkdir -p "$pg/data"
echo journey-secret >"$pg/pwfile"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$pg"; fi
as_postgres "$bin/initdb" -D "$pg/data" -U postgres --auth=scram-sha-256 --pwfile="$pg/pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
as_postgres "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg" start >/dev/null
export PGPASSWORD=journey-secret
psql -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE journey LOGIN PASSWORD 'journey-secret'" -c "CREATE DATABASE journey OWNER journey" \
  -c "CREATE ROLE journey_reader LOGIN PASSWORD 'journey-secret'"  # may connect, may read no table

cat >"$dir/env" <<ENV
export JOURNEY_TEST_POSTGRES=postgres://journey@127.0.0.1:$port/journey
export JOURNEY_TEST_POSTGRES_PASSWORD=journey-secret
export JOURNEY_TEST_DUCKDB=$venv/bin/duckdb
export JOURNEY_TEST_SPARK_PYTHON=$venv/bin/python
ENV
echo "engines ready: PostgreSQL on 127.0.0.1:$port, DuckDB $("$venv/bin/duckdb" --version | cut -d' ' -f1), pyspark; variables in $dir/env"
