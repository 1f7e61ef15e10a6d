#!/usr/bin/env bash
# Create the mod_jobcenter schema from sql/.
#   tools/db-init.sh sqlite FILE        create FILE (WAL set once, here)
#   tools/db-init.sh pgsql  PSQL-ARGS…  apply to an existing PostgreSQL DB,
#                                       e.g. -h /sock -p 5432 -U jc -d jc
# Refuses to touch a database that already has a schema.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-}; shift || true
case $kind in
  sqlite)
    f=$1
    if [[ -s $f ]]; then echo "db-init: $f exists, left as it is" >&2; exit 0; fi
    mkdir -p "$(dirname "$f")"
    # WAL is a property of the database file: set once at creation, never
    # from DBDInitSQL (that raced with other children: "database is locked")
    sqlite3 "$f" 'PRAGMA journal_mode=WAL;' >/dev/null
    for s in "$TOP"/sql/sqlite/*.sql; do sqlite3 -bail "$f" < "$s"; done
    ;;
  pgsql)
    if [[ $(psql -X -q -A -t "$@" -c "SELECT to_regclass('jc_schema') IS NOT NULL") == t ]]; then
      echo "db-init: schema exists, left as it is" >&2; exit 0
    fi
    for s in "$TOP"/sql/pgsql/*.sql; do psql -X -q -v ON_ERROR_STOP=1 "$@" -f "$s" >/dev/null; done
    ;;
  *) echo "usage: $0 sqlite FILE | pgsql PSQL-ARGS..." >&2; exit 2 ;;
esac
