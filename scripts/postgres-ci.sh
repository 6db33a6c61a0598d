#!/usr/bin/env bash
# Start this machine's PostgreSQL 15 and make a role and database for the suite; print the
# DATABASE_URL to use. (CI: the suite runs once on SQLite and again on PostgreSQL.)
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2
  exit 1
fi
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 0.5
done
psql_as_postgres() { su postgres -c "psql -qAtc \"$1\""; }
[ "$(psql_as_postgres "SELECT 1 FROM pg_roles WHERE rolname='weizhong'")" = 1 ] \
  || psql_as_postgres "CREATE ROLE weizhong LOGIN PASSWORD 'weizhong' CREATEDB"
[ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname='weizhong'")" = 1 ] \
  || su postgres -c "createdb -O weizhong weizhong"
echo "postgres://weizhong:weizhong@127.0.0.1:5432/weizhong"
