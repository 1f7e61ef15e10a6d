# bench/growth.sh -- phase growth of bench/run.sh (issue 19): the same requests
# and housekeeping on a small and on a large database, filled directly with
# SQL (recursive CTE on SQLite, generate_series on PostgreSQL).
#
# Sizes: GROWTH_SIZES (default "1000 1000000"): accounts, sessions,
# conversations, messages; customers: min(size, GROWTH_CUST) (default 500000)
# in one Jobcenter. At each size and database: wrk ($GROWTH_REPS runs of
# $GROWTH_D s, -c$GROWTH_C) of GET /api/v1/me, the staff inbox (first page and
# page 50, limit=5 per page), customer search by name prefix and by
# Kundennummer (typed with spaces); then the purge statements run batch by batch
# directly in the database (1 % of the sessions expired, 1 % idle, 1 % of the
# accounts unconfirmed with their links), all batches of a statement in one
# session as on the watchdog's connection: the longest batch = the longest
# write-lock hold. Plans of the measured statements beside the figures.
# The name-prefix search compares like with like: 25 customers named Müller,
# spread evenly over the table, at every size (q=Mül: the same 25 rows on
# the same page; no other name starts with "muel"); the other customers are
# Fam<n>.
# Sourced by run.sh (uses its RES, BW, JC_* and helpers).

GROWTH_SIZES=${GROWTH_SIZES:-"1000 1000000"}
GROWTH_CUST=${GROWTH_CUST:-500000}
GROWTH_REPS=${GROWTH_REPS:-1}
GROWTH_D=${GROWTH_D:-5}
GROWTH_C=${GROWTH_C:-4}
# GROWTH_DBS (default "sqlite pg"): the databases measured
declare -A GR   # GR[<db>.<size>.<case>] = req/s; GR[<db>.<size>.purge] = ms; .fill = s

growth_sql() {   # growth_sql sqlite|pg  (SQL on stdin)
  if [[ $1 == sqlite ]]; then runuser -u "$RUN_USER" -- sqlite3 -bail "$JC_SQLITE_DB"
  else psql_db jc -v ON_ERROR_STOP=1 -q; fi
}

# growth_reset sqlite|pg: an empty database at the current schema
growth_reset() {
  if [[ $1 == sqlite ]]; then
    rm -f "$JC_SQLITE_DB" "$JC_SQLITE_DB-wal" "$JC_SQLITE_DB-shm"
    runuser -u "$RUN_USER" -- "$TOP/tools/db-init.sh" sqlite "$JC_SQLITE_DB" 2>/dev/null
  else
    psql -X -q -h "$PGSOCK_B" -p "$PGPORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS jc" \
      -c "CREATE DATABASE jc OWNER jc"
    "$TOP/tools/db-init.sh" pgsql -h "$PGSOCK_B" -p "$PGPORT" -U jc -d jc 2>/dev/null
  fi
}

# growth_fill sqlite|pg N C NOW
growth_fill() {
  local db=$1 n=$2 c=$3 now=$4 W S knr
  if [[ $db == sqlite ]]; then
    W() { echo "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) "; }
    S() { echo "s"; }
    knr="printf('%03dA%06d', 100 + i / 1000000, i % 1000000)"
  else
    W() { echo ""; }
    S() { echo "generate_series(1, $1) AS s(i)"; }
    knr="lpad((100 + i / 1000000)::text, 3, '0') || 'A' || lpad((i % 1000000)::text, 6, '0')"
  fi
  growth_sql "$db" <<SQL
$([[ $db == pg ]] && echo "SET client_min_messages = error;")
BEGIN;
INSERT INTO jobcenter (id, name, street, postcode, city, phone, opening_hours, created_at)
  VALUES (1, 'Jobcenter Wachstum', 'Weg 1', '10115', 'Berlin', '030 1', 'Mo-Fr', $now);
$(W "$n")INSERT INTO account (id, email, password_hash, email_confirmed_at, terms_accepted_at,
    email_consent_at, created_at, updated_at)
  SELECT i, 'u' || i || '@example.org', 'x', CASE WHEN i % 100 = 50 THEN NULL ELSE $now END, $now, $now,
    CASE WHEN i % 100 = 50 THEN $now - 864000 ELSE $now - 3600 END, $now FROM $(S "$n");
INSERT INTO staff (account_id, jobcenter_id, team, role, display_name, created_at)
  VALUES (1, 1, 'leistung', 'sachbearbeitung', 'Frau Wachstum', $now);
$(W "$c")INSERT INTO customer (id, jobcenter_id, kundennummer, given_name, family_name, birth_date, street,
    postcode, city, account_id, created_by, created_at, name_key)
  SELECT i, 1, $knr, 'Vor' || (i % 1000), 'Fam' || (i % 100000), '1980-01-01', 'Weg 1',
    CAST(10000 + i % 90000 AS TEXT), 'Berlin', CASE WHEN i > 1 AND i <= $n AND i % 100 <> 50 THEN i END, 1, $now,
    'fam' || (i % 100000) || ' vor' || (i % 1000) FROM $(S "$c");
UPDATE customer SET family_name = 'Müller', name_key = 'mueller vor' || (id % 1000)
  WHERE id % $((c / 25)) = 7;
$(W "$n")INSERT INTO session (id_hash, account_id, state, csrf_token, created_at, last_seen, expires_at)
  SELECT 'g' || i, CASE WHEN i % 100 = 50 THEN 2 ELSE i END, 6, 'c', $now - 7200,
    CASE WHEN i % 100 = 20 THEN $now - 86400 ELSE $now - 60 END,
    CASE WHEN i % 100 = 10 THEN $now - 10 ELSE $now + 86400 END FROM $(S "$n");
$(W "$n")INSERT INTO email_token (token_hash, account_id, email, purpose, created_at, expires_at)
  SELECT 't' || i, i, 'u' || i || '@example.org', 'confirm', $now - 864000, $now - 777600
  FROM $(S "$n") WHERE i % 100 = 50;
$(W "$n")INSERT INTO conversation (id, jobcenter_id, customer_id, account_id, anliegen, team, subject, status,
    idempotency_key, created_at, updated_at)
  SELECT i, 1, 1 + (i - 1) % $c, NULL, 'sonstiges',
    CASE i % 3 WHEN 0 THEN 'leistung' WHEN 1 THEN 'but' ELSE 'vermittlung' END, 'Betreff',
    CASE (i / 3) % 3 WHEN 0 THEN 'neu' WHEN 1 THEN 'in_bearbeitung' ELSE 'erledigt' END,
    'k' || i, $now - $n + i, $now - $n + i FROM $(S "$n");
$(W "$n")INSERT INTO message (id, conversation_id, staff_account, body, created_at)
  SELECT i, i, NULL, 'Nachricht', $now - $n + i FROM $(S "$n");
COMMIT;
$([[ $db == pg ]] && echo "VACUUM ANALYZE;" || printf 'ANALYZE;\nPRAGMA wal_checkpoint(TRUNCATE);')
SQL
}

# growth_time sqlite|pg SQL -> milliseconds of one autocommit statement
growth_time() {
  if [[ $1 == sqlite ]]; then
    printf '.timer on\n%s;\n' "$2" | runuser -u "$RUN_USER" -- sqlite3 -bail "$JC_SQLITE_DB" \
      | awk '/^Run Time:/{printf "%.3f\n", $4 * 1000}' | tail -1
  else
    printf '\\timing on\n%s;\n' "$2" | psql_db jc | awk '/^Time:/{print $2}' | tail -1
  fi
}

# growth_batches sqlite|pg K SQL... -> the milliseconds of each statement, one
# line each: the statements (each its own autocommit transaction) K times
# over, all in one session.
# SQLite: a statement's time is its write-lock hold (the statement and its
# commit). The WAL checkpoint that SQLite's default hook runs after the
# commit that crosses wal_autocheckpoint (1,000 pages) runs after the write
# lock is released (sqlite3_wal_hook: "invoked ... after the commit has
# taken place and the associated write-lock on the database released"),
# PASSIVE, so other writers go on meanwhile; timed with the statement it
# would count against the batch. Here the session turns the automatic one
# off and runs the same PASSIVE checkpoint itself after every 10 rounds
# (about as often), timed apart: appended to $GROWTH_CKPT_OUT with LABEL.
growth_batches() {
  local db=$1 k=$2 i; shift 2
  if [[ $db == sqlite ]]; then
    { printf '.timer off\nPRAGMA wal_autocheckpoint = 0;\n.timer on\n'
      for ((i = 0; i < k; i++)); do
        printf '%s;\n' "$@"
        if (( i % 10 == 9 )); then printf '.print CKPT\nPRAGMA wal_checkpoint(PASSIVE);\n'; fi
      done; } \
      | runuser -u "$RUN_USER" -- sqlite3 -bail "$JC_SQLITE_DB" \
      | awk -v ck="${GROWTH_CKPT_OUT:-/dev/null}" '
          /^CKPT$/ { c = 1; next }
          /^Run Time:/ { if (c) { printf "%.3f\n", $4 * 1000 >> ck; c = 0 } else printf "%.3f\n", $4 * 1000 }'
  else
    { echo '\timing on'; for ((i = 0; i < k; i++)); do printf '%s;\n' "$@"; done; } \
      | psql_db jc | awk '/^Time:/{print $2}'
  fi
}

# growth_stmt LABEL INTS STRS -> the statement of jc_sql.c with values (JSON arrays)
growth_stmt() {
  node --input-type=module -e "
    import { readStatements, withValues } from '$TOP/tests/lib/sqlstmts.mjs';
    const s = readStatements().find((x) => x.label === '$1');
    process.stdout.write(withValues(s.sql, { ints: $2, strs: $3 }));"
}

growth_explain() {   # growth_explain sqlite|pg SQL
  if [[ $1 == sqlite ]]; then runuser -u "$RUN_USER" -- sqlite3 "$JC_SQLITE_DB" "EXPLAIN QUERY PLAN $2"
  else psql_db jc -c "EXPLAIN $2"; fi
}

growth_case() {   # growth_case DB N NAME URL [wrk args]
  local db=$1 n=$2 name=$3 url=$4; shift 4
  assert_status "$url" 200 "$@"
  REPS=$GROWTH_REPS WRK_D=$GROWTH_D WRK_C=$GROWTH_C bench_wrk "growth-$db-$n-$name" \
    "$BW/jc-$([[ $db == pg ]] && echo pg || echo sqlite)/logs/error.log" "$url" "$@"
  GR[$db.$n.$name]=$(wrk_stat "growth-$db-$n-$name" rps med)
}

growth_size() {   # growth_size sqlite|pg N
  local db=$1 n=$2 c now t0 conf cur me_tok st_tok purge_max=0 lbl l sql lim k rows plans
  c=$(( n < GROWTH_CUST ? n : GROWTH_CUST ))
  now=$(date +%s)
  log "growth $db: filling $n accounts/sessions/conversations/messages, $c customers"
  growth_reset "$db"
  t0=$(date +%s)
  growth_fill "$db" "$n" "$c" "$now"
  GR[$db.$n.fill]=$(( $(date +%s) - t0 ))
  log "growth $db $n: filled in ${GR[$db.$n.fill]} s"
  # purge: batch by batch, before Apache (its watchdog would purge too);
  # each statement's batches in one session until none is due
  for lbl in jc_sess_purge:$now jc_sess_purge_idle:$((now - 1800)) jc_token_purge:$((now - 604800)) \
             jc_acct_purge:$((now - 604800)); do
    l=${lbl%%:*}
    sql=$(growth_stmt "$l" "[${lbl#*:}]" '[]')
    lim=$(sed -n 's/.*LIMIT \([0-9]*\).*/\1/p' <<<"$sql")
    rows=$(jc_q "$db" "$(case $l in
      jc_sess_purge) echo "SELECT count(*) FROM session WHERE expires_at < $now" ;;
      jc_sess_purge_idle) echo "SELECT count(*) FROM session WHERE last_seen < $((now - 1800))" ;;
      jc_token_purge) echo "SELECT count(*) FROM email_token WHERE expires_at < $((now - 604800))" ;;
      jc_acct_purge) echo "SELECT count(*) FROM account WHERE email IS NOT NULL AND email_confirmed_at IS NULL AND created_at < $((now - 604800))" ;;
    esac)")
    # (at least 5: a batch with nothing left due is the usual run)
    k=$(( rows / lim + 1 )); (( k >= 5 )) || k=5
    GROWTH_CKPT_OUT=$RES/growth-ckpt-$db-$n-$l.txt
    if [[ $l == jc_acct_purge ]]; then
      # the batch's links, then the batch of accounts (jc_purge_run)
      growth_batches "$db" "$k" "$(growth_stmt jc_acct_purge_tokens "[${lbl#*:}]" '[]')" "$sql" \
        | awk -v d="$db" -v n="$n" '{ printf "%s\t%s\t%s\t%d\t%s\n", d, n,
            (NR % 2) ? "jc_acct_purge_tokens" : "jc_acct_purge", int((NR - 1) / 2), $1 }'
    else
      growth_batches "$db" "$k" "$sql" \
        | awk -v d="$db" -v n="$n" -v l="$l" '{ printf "%s\t%s\t%s\t%d\t%s\n", d, n, l, NR - 1, $1 }'
    fi >> "$RES/growth-purge.tsv"
  done
  # the longest batch after each session's first (the watchdog's connection
  # stays open: its first batch pays the session's catalog and foreign-key
  # plan caches once; listed apart in the summary)
  purge_max=$(awk -F'\t' -v d="$db" -v n="$n" '$1 == d && $2 == n && $3 != "empty_write" && $4 > 0 && $5 + 0 > m { m = $5 + 0 } END { print m + 0 }' \
    "$RES/growth-purge.tsv")
  GR[$db.$n.purge]=$purge_max
  # the floor: an empty write transaction (the commit's WAL sync) on the same
  # database, 200 times in one session: its median and its tail are the
  # machine's (a loaded machine gives every write a tail)
  GROWTH_CKPT_OUT=$RES/growth-ckpt-$db-$n-empty_write.txt
  growth_batches "$db" 201 "UPDATE jc_schema SET version = version" \
    | awk -v d="$db" -v n="$n" '{ printf "%s\t%s\t%s\t%d\t%s\n", d, n, "empty_write", NR - 1, $1 }' \
    >> "$RES/growth-purge.tsv"
  GR[$db.$n.floor]=$(awk -F'\t' -v d="$db" -v n="$n" '$1 == d && $2 == n && $3 == "empty_write" && $4 > 0 { print $5 }' \
    "$RES/growth-purge.tsv" | median)
  log "growth $db $n: longest purge batch $purge_max ms"
  # sessions of a citizen (account 2) and of the staff member (account 1)
  me_tok=$(printf "Me%s%036d" "${db:0:2}" "$n"); st_tok=$(printf "St%s%036d" "${db:0:2}" "$n")
  jc_q "$db" "INSERT INTO session (id_hash, account_id, state, csrf_token, created_at, last_seen, expires_at, verified_at)
    VALUES ('$(sess_hash "$me_tok")', 2, 6, 'c', $now, $(date +%s), $((now + 86400)), $now),
           ('$(sess_hash "$st_tok")', 1, 6, 'c', $now, $(date +%s), $((now + 86400)), $now)" >/dev/null
  cur=$(jc_q "$db" "SELECT updated_at || '.' || id FROM conversation WHERE jobcenter_id = 1 AND team = 'leistung'
    ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET 244")
  [[ -n $cur ]] || die "growth: no conversation for page 50"
  conf=$([[ $db == pg ]] && echo "$JC_PG_CONF" || echo "$JC_SQLITE_CONF")
  apache_start "$conf" "$JC_PORT"
  growth_case "$db" "$n" me "$JC_BASE/api/v1/me" -H "Cookie: jc_session=$me_tok"
  growth_case "$db" "$n" inbox1 "$JC_BASE/api/v1/staff/messages?limit=5" -H "Cookie: jc_session=$st_tok"
  growth_case "$db" "$n" inbox50 "$JC_BASE/api/v1/staff/messages?limit=5&before=$cur" -H "Cookie: jc_session=$st_tok"
  growth_case "$db" "$n" name "$JC_BASE/api/v1/staff/customers?q=M%C3%BCl" -H "Cookie: jc_session=$st_tok"
  growth_case "$db" "$n" knr "$JC_BASE/api/v1/staff/customers?q=100%20A%20000123" -H "Cookie: jc_session=$st_tok"
  apache_stop "$conf"
  plans=$RES/growth-plans-$db-$n.txt
  {
    for lbl in "jc_msg_inbox_all:[1,${cur%%.*},${cur#*.},6]:[\"leistung\"]" \
               "jc_cust_search_name:[1,50,0]:[\"muel\",\"muel\u{10FFFF}\"]" \
               "jc_cust_count_name:[1]:[\"muel\",\"muel\u{10FFFF}\"]" \
               "jc_cust_search_knr:[1]:[\"100A000123\"]" \
               "jc_sess_get:[]:[\"$(sess_hash "$me_tok")\"]" \
               "jc_sess_purge:[$now]:[]" "jc_sess_purge_idle:[$((now - 1800))]:[]" \
               "jc_acct_purge_tokens:[$((now - 604800))]:[]" "jc_acct_purge:[$((now - 604800))]:[]"; do
      IFS=: read -r l ints strs <<<"$lbl"
      echo "-- $l"
      growth_explain "$db" "$(growth_stmt "$l" "$ints" "$strs")"
    done
  } > "$plans" 2>&1
}

phase_growth() {
  local db n
  log "== phase growth: sizes $GROWTH_SIZES, customers up to $GROWTH_CUST =="
  for db in ${GROWTH_DBS:-sqlite pg}; do
    for n in $GROWTH_SIZES; do growth_size "$db" "$n"; done
  done
}

# growth_purge_stats TSV: per db, size and statement the batches' percentiles
growth_purge_stats() {
  sort -t$'\t' -k1,1 -k2,2n -k3,3 -k5,5g "$1" | awk -F'\t' '
    function out() { if (key == "") return
      printf "  %-34s %5d  %6.1f / %6.1f / %6.1f / %6.1f, %5.2f  first %.1f\n", key, cnt, v[int(w * 0.5) + 1],
        v[int(w * 0.9) + 1], v[int(w * 0.99) + 1], v[w], w ? sum / w : 0, first }
    { k = $1 " " $2 " " $3
      if (k != key) { out(); key = k; cnt = 0; w = 0; sum = 0; first = "NA"; delete v }
      cnt++; if ($4 == 0) { first = $5; next }
      v[++w] = $5 + 0; sum += $5 }
    END { out() }'
}

growth_summary() {
  local db n small large k
  small=${GROWTH_SIZES%% *}; large=${GROWTH_SIZES##* }
  echo
  echo "---- growth: $small vs $large accounts/sessions/conversations (customers up to $GROWTH_CUST), wrk -c$GROWTH_C -d${GROWTH_D}s x$GROWTH_REPS, req/s ----"
  printf '%-8s %-8s %12s %12s %8s  %s\n' db case "$small" "$large" ratio "target >= 0.80"
  for db in sqlite pg; do
    for k in me inbox1 inbox50 name knr; do
      r=$(ratio "${GR[$db.$large.$k]:-NA}" "${GR[$db.$small.$k]:-NA}")
      printf '%-8s %-8s %12s %12s %8s  %s\n' "$db" "$k" "${GR[$db.$small.$k]:-NA}" "${GR[$db.$large.$k]:-NA}" "$r" \
        "$(awk -v r="$r" 'BEGIN{ if (r == "NA") print "NA"; else print (r + 0 >= 0.8) ? "PASS" : "MISS" }')"
    done
    for n in $small $large; do
      printf '%-8s %-8s %12s ms  longest batch after the first (target < 10 ms: %s); an empty write transaction: %s ms; fill %s s\n' \
        "$db" "purge@$n" "${GR[$db.$n.purge]:-NA}" \
        "$(awk -v m="${GR[$db.$n.purge]:-NA}" 'BEGIN{ if (m == "NA") print "NA"; else print (m + 0 < 10) ? "PASS" : "MISS" }')" \
        "${GR[$db.$n.floor]:-NA}" "${GR[$db.$n.fill]:-NA}"
    done
  done
  echo "purge batches (one session per statement; empty_write = an empty write transaction, the floor):"
  echo "  db size statement: batches; ms of the batches after the first: p50 / p90 / p99 / max, mean; the first (cold session caches)"
  growth_purge_stats "$RES/growth-purge.tsv"
  echo "SQLite WAL checkpoints between the batches (PASSIVE, every 10 rounds, after the write lock is released; not a lock hold), ms p50 / max:"
  for f in "$RES"/growth-ckpt-sqlite-*.txt; do
    [[ -s $f ]] || continue
    printf '  %s: %s checkpoints, %s / %s\n' "$(basename "$f" .txt | sed 's/^growth-ckpt-sqlite-//')" "$(wc -l < "$f")" \
      "$(median < "$f")" "$(sort -n "$f" | tail -1)"
  done
  echo "plans: $RES/growth-plans-<db>-<size>.txt; purge batches: $RES/growth-purge.tsv"
  for db in sqlite pg; do
    echo "== plans $db $large =="
    cat "$RES/growth-plans-$db-$large.txt" 2>/dev/null || true
  done
}
