#!/usr/bin/env bash
# Create the mod_jobcenter schema from sql/, or bring an existing database up
# to date.
#   tools/db-init.sh sqlite FILE        create FILE (WAL set once, here) or
#                                       upgrade it
#   tools/db-init.sh pgsql  PSQL-ARGS…  create the schema in an existing
#                                       PostgreSQL database or upgrade it,
#                                       e.g. -h /sock -p 5432 -U jc -d jc
#
# Migrations are sql/<dialect>/NNN_name.sql. A new database gets all of them;
# a database whose jc_schema.version is V gets every file with NNN > V, in
# order, each in its own transaction (every file holds its BEGIN/COMMIT and
# ends with `UPDATE jc_schema SET version = NNN`). A failed file leaves the
# database at the version before it. Running it again changes nothing.
# Stop the server before upgrading (the module refuses a version it was not
# built for, JC00004).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

# migrations DIALECT: "NUMBER PATH" lines in numeric order
migrations() {
    local f n
    for f in "$TOP"/sql/"$1"/[0-9]*_*.sql; do
        n=$(basename "$f"); n=${n%%_*}
        [[ $n =~ ^[0-9]+$ ]] || { echo "db-init: bad migration name $f" >&2; exit 1; }
        echo "$((10#$n)) $f"
    done | sort -n
}

# apply DIALECT FROM-VERSION APPLY-COMMAND...: run every migration above
# FROM-VERSION through APPLY-COMMAND FILE
apply() {
    local dialect=$1 from=$2 n f done_=0 to=$2; shift 2
    while read -r n f; do
        (( n > from )) || continue
        "$@" "$f" || { echo "db-init: $(basename "$f") failed; the database stays at version $to" >&2; exit 1; }
        to=$n done_=$((done_ + 1))
    done < <(migrations "$dialect")
    if (( from == 0 )); then
        (( done_ > 0 )) || { echo "db-init: no migrations in sql/$dialect" >&2; exit 1; }
    elif (( done_ > 0 )); then
        echo "db-init: schema upgraded from version $from to $to" >&2
    elif (( done_ == 0 )); then
        echo "db-init: schema is at version $from, nothing to do" >&2
    fi
}

sqlite_apply() { sqlite3 -bail -cmd '.timeout 5000' "$DBFILE" < "$1"; }
pg_apply() { psql -X -q -v ON_ERROR_STOP=1 "${PSQLARGS[@]}" -f "$1" >/dev/null; }

kind=${1:-}; shift || true
case $kind in
  sqlite)
    DBFILE=${1:?usage: $0 sqlite FILE}
    if [[ -s $DBFILE ]]; then
        v=$(sqlite3 -bail -cmd '.timeout 5000' "$DBFILE" 'SELECT version FROM jc_schema' 2>&1) \
            || { echo "db-init: $DBFILE is not a mod_jobcenter database: $v" >&2; exit 1; }
        [[ $v =~ ^[0-9]+$ ]] || { echo "db-init: $DBFILE: unreadable schema version '$v'" >&2; exit 1; }
        apply sqlite "$v" sqlite_apply
    else
        mkdir -p "$(dirname "$DBFILE")"
        # WAL is a property of the database file: set once at creation, never
        # from DBDInitSQL (that raced with other children: "database is locked")
        sqlite3 "$DBFILE" 'PRAGMA journal_mode=WAL;' >/dev/null
        apply sqlite 0 sqlite_apply
    fi
    ;;
  pgsql)
    PSQLARGS=("$@")
    if [[ $(psql -X -q -A -t "$@" -c "SELECT to_regclass('jc_schema') IS NOT NULL") == t ]]; then
        v=$(psql -X -q -A -t -v ON_ERROR_STOP=1 "$@" -c 'SELECT version FROM jc_schema')
        [[ $v =~ ^[0-9]+$ ]] || { echo "db-init: unreadable schema version '$v'" >&2; exit 1; }
        apply pgsql "$v" pg_apply
    else
        apply pgsql 0 pg_apply
    fi
    ;;
  *) echo "usage: $0 sqlite FILE | pgsql PSQL-ARGS..." >&2; exit 2 ;;
esac
