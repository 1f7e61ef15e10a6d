#!/usr/bin/env bash
# Back up a portal (PostgreSQL database + upload store) and prove that the
# backup restores: docs/operations.md, "Backups". Used by the cluster suite
# (tests/cluster/journey.test.mjs) on every run, and by hand on a copy.
#
#   tools/backup-restore-check.sh --pg CONNINFO --store DIR --work DIR
#                                 [--admin CONNINFO] [--keep]
#     --pg CONNINFO     the portal's database, read by pg_dump (a standby
#                       will do: the dump is one consistent snapshot)
#     --store DIR       JobcenterUploadStore
#     --work DIR        where the backup (db.dump, store.tar) and the
#                       restored copy (store/) go; created
#     --admin CONNINFO  a server where the restore database may be created
#                       (default: --pg); the role owning the portal's
#                       objects must exist there
#     --keep            keep the restored database (default: dropped)
#
# Order matters: the dump first, the store copy after it. Files are written
# (and fsync'd) before the row that names them commits, so every file a row
# of the dump names is in the later copy; the copy may hold files the dump
# does not name yet (an upload in flight): harmless, reported below.
#
# Checks, exit 0 only if all hold:
#  1. pg_restore into a fresh database succeeds (--exit-on-error);
#  2. the restored database's data (pg_dump --data-only) equals the dump's
#     data (pg_restore --data-only), byte for byte after dropping comments;
#  3. the restored store has the same files with the same SHA-256 as the
#     archive;
#  4. every file a row of the restored database names (columns store_id
#     and *_store_id) is in the restored store.
set -euo pipefail
trap 'echo "restore check: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR
PG= STORE= WORK= ADMIN= KEEP=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --pg) PG=$2; shift 2 ;;
    --store) STORE=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --admin) ADMIN=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "backup-restore-check: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $PG && -n $STORE && -n $WORK ]] || { sed -n '5,16p' "$0" >&2; exit 2; }
: "${ADMIN:=$PG}"
[[ -d $STORE ]] || { echo "backup-restore-check: no store directory $STORE" >&2; exit 1; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DB=jc_restore_$$_$RANDOM
# later keywords of a conninfo string win: the restore database
RESTORE="$ADMIN dbname=$DB"
psqlc() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

created=0
cleanup() {
  if [[ $created == 1 && $KEEP == 0 ]]; then
    psqlc "$ADMIN" "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# ---- backup
t0=$(date +%s%N)
pg_dump -Fc -d "$PG" -f "$WORK/db.dump"
tar -C "$STORE" -cf "$WORK/store.tar" .
t1=$(date +%s%N)

# ---- restore
owner=$(psqlc "$PG" "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
psqlc "$ADMIN" "CREATE DATABASE $DB OWNER \"$owner\"" >/dev/null
created=1
pg_restore --exit-on-error -d "$RESTORE" "$WORK/db.dump"
rm -rf "$WORK/store"
mkdir -p "$WORK/store"
tar -C "$WORK/store" -xf "$WORK/store.tar"
t2=$(date +%s%N)

fail=0
# ---- 2. data equal
strip() { grep -v -e '^--' -e '^$' -e '^SET ' -e '^SELECT pg_catalog.set_config' -e '^\\restrict' -e '^\\unrestrict' || true; }
# (both through pg_restore: the same order of tables)
pg_dump -Fc -d "$RESTORE" -f "$WORK/restored.dump"
pg_restore --data-only -f - "$WORK/db.dump" | strip > "$WORK/data-dump.sql"
pg_restore --data-only -f - "$WORK/restored.dump" | strip > "$WORK/data-restored.sql"
if ! cmp -s "$WORK/data-dump.sql" "$WORK/data-restored.sql"; then
  echo "restore check: the restored data differs from the dump:" >&2
  diff "$WORK/data-dump.sql" "$WORK/data-restored.sql" | head -20 >&2 || true
  fail=1
fi
tables=$(psqlc "$RESTORE" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
rows=$(psqlc "$RESTORE" "SELECT sum((xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM public.' || quote_ident(table_name), false, true, '')))[1]::text::bigint) FROM information_schema.tables WHERE table_schema = 'public'")

# ---- 3. store equal
( cd "$STORE" && find . -type f -print0 | sort -z | xargs -0r sha256sum ) > "$WORK/store-source.sha256" || true
( cd "$WORK/store" && find . -type f -print0 | sort -z | xargs -0r sha256sum ) > "$WORK/store-restored.sha256"
# files that came or went in the store since the archive was taken are not
# the archive's fault: compare the restored copy against the archive listing
tar -tf "$WORK/store.tar" | { grep -v '/$' || true; } | sed 's|^\./||' | sort > "$WORK/store-archive.list"
sed 's|^[0-9a-f]*  \./||' "$WORK/store-restored.sha256" | sort > "$WORK/store-restored.list"
if ! cmp -s "$WORK/store-archive.list" "$WORK/store-restored.list"; then
  echo "restore check: the restored store's files differ from the archive" >&2
  fail=1
fi
# unchanged files must have the same content as in the source
changed=$(join -j 2 <(sed 's|  \./| |' "$WORK/store-source.sha256" | sort -k2) \
                    <(sed 's|  \./| |' "$WORK/store-restored.sha256" | sort -k2) | awk '$2 != $3' | wc -l)
if [[ $changed -ne 0 ]]; then
  echo "restore check: $changed restored file(s) differ from the source" >&2
  fail=1
fi
files=$(wc -l < "$WORK/store-restored.list")

# ---- 4. every row's file is there: every column store_id / *_store_id
# (upload_file, bescheid, upload_submission.receipt_store_id, …) names a
# file files/<id>
missing=0
: > "$WORK/rows.list"
while IFS='|' read -r tbl col; do
  [[ -z $tbl ]] && continue
  while read -r id; do
    [[ -z $id ]] && continue
    echo "$id" >> "$WORK/rows.list"
    [[ -f $WORK/store/files/$id ]] || { echo "restore check: $tbl.$col $id has no file" >&2; missing=$((missing + 1)); }
  done < <(psqlc "$RESTORE" "SELECT \"$col\" FROM public.\"$tbl\" WHERE \"$col\" IS NOT NULL AND \"$col\" <> ''")
done < <(psqlc "$RESTORE" "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND (column_name = 'store_id' OR column_name LIKE '%\\_store\\_id') ORDER BY 1, 2")
unnamed=$(comm -13 <(sort -u "$WORK/rows.list") \
  <({ grep '^files/' "$WORK/store-restored.list" || true; } | sed 's|^files/||' | sort) | wc -l)
[[ $missing -eq 0 ]] || fail=1

ms() { echo $(( ($2 - $1) / 1000000 )); }
if [[ $fail -eq 0 ]]; then
  echo "restore check: OK ($tables tables, $rows rows, $files files; backup $(ms "$t0" "$t1") ms, restore $(ms "$t1" "$t2") ms; $unnamed stored file(s) without a row)"
else
  echo "restore check: FAILED ($missing row(s) without a file)"
  exit 1
fi
