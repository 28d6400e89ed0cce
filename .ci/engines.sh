#!/usr/bin/env bash
# The real SQL engines the warehouse tests run the printed SQL on (issue 19).
#   .ci/engines.sh start DIR   installs what is missing, starts PostgreSQL on loopback and writes
#                              DIR/env (the JOURNEY_TEST_* variables the tests read)
#   .ci/engines.sh stop DIR    stops the PostgreSQL server it started
# PostgreSQL: Debian's server, initdb + pg_ctl in /tmp/journey-engines-pg-PORT on 127.0.0.1:$PORT (run as the postgres
# user when we are root), a password-protected role `journey` owning database `journey`, and a
# role `journey_reader` with the same password and no grants (for the permission test).
# DuckDB: the CLI from PyPI (duckdb-cli); Spark: pyspark from PyPI with Java 17; both in DIR/venv.
set -euo pipefail
action=${1:?start or stop}
dir=$(mkdir -p "${2:?folder}" && cd "$2" && pwd)
port=${JOURNEY_TEST_POSTGRES_PORT:-55432}
bin=/usr/lib/postgresql/15/bin
# The cluster lives outside DIR: the postgres user may not enter a root-owned home.
pg=/tmp/journey-engines-pg-$port
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "$action" = stop ]; then
  [ -f "$pg/data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null || true
  rm -rf "$pg"
  exit 0
fi

missing=()
[ -x "$bin/initdb" ] || missing+=(postgresql-15)
command -v psql >/dev/null || missing+=(postgresql-client-15)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if [ ! -x "$dir/venv/bin/duckdb" ] || ! "$dir/venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install -q duckdb-cli pyspark
fi

# PostgreSQL: a throwaway cluster owned by the postgres user when we are root.
[ -f "$pg/data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null || true
rm -rf "$pg" && mkdir -p "$pg/data"
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
export JOURNEY_TEST_DUCKDB=$dir/venv/bin/duckdb
export JOURNEY_TEST_SPARK_PYTHON=$dir/venv/bin/python
ENV
echo "engines ready: PostgreSQL on 127.0.0.1:$port, DuckDB $("$dir/venv/bin/duckdb" --version | cut -d' ' -f1), pyspark; variables in $dir/env"
