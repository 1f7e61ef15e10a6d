#!/usr/bin/env bash
# bench/run.sh -- mod_jobcenter performance figures next to stock Apache peers.
#
#   bench/run.sh [http] [login] [callgrind] [upload] [cluster] [soak] [growth] [scan]
#   (default: the first five; soak, growth, stall and scan only when named)
#   ./build.sh bench [phase...]                  (installs deps, builds, runs this)
#
# http       wrk -t2 -c32 -d10s --latency, $REPS runs per case (median, min/max):
#            static 200 B (EnableMMAP On and Off), module GET /api/v1/me on SQLite
#            and PostgreSQL, mod_auth_form+mod_session_dbd read-only and sliding
#            expiry (SessionMaxAge) on SQLite (WAL) and PostgreSQL; counts the
#            session UPDATEs the module made during its /me runs.
# login      ab -n 200 -c 1 / -c 2 POST /api/v1/login (SQLite, PostgreSQL) next to
#            the raw Argon2id rate (build/bench/hashbench, in-process).
# upload     1 MiB, 100 MiB, 1 GiB through the module (POST /api/v1/uploads/files,
#            the JC_UPLOAD input filter) and stock mod_dav PUT, interleaved, a fresh
#            server per upload: MB/s, workers' idle RSS and VmHWM; dd conv=fsync of
#            the same sizes on the same disk; before that 1 MiB on warm servers,
#            serial and 16 concurrent clients, against mod_dav and a durable
#            mod_dav (fsync of file and directory, bench/mod_bench_fsync.c), with
#            flush counts per upload (bench/upload.sh; UP_PARTS="small big")
# scan       (only when named) uploads of SCAN_SIZES MiB (default 1 20 100) with
#            JobcenterClamd off and on (a clamd started here with test signatures),
#            interleaved, fresh server per upload: MB/s, the time the scan adds per
#            MiB, clamd's CPU per MiB (bench/scan.sh)
# soak       (only when named) SOAK_SECS (default 600) of logins, GET /me, GET messages and
#            2 KiB uploads at saturation on SQLite and PostgreSQL (bench/soak.mjs), then
#            logins only: 5xx other than admission 503s, "database is locked" lines,
#            p50/p99 per kind, child RSS at start / 1 min / end, login throughput vs the
#            raw Argon2id rate x cores (hashbench, same run)
# cluster    HAProxy round-robin in front of 1, then 2 Apache nodes on one
#            PostgreSQL: GET /api/v1/me and POST /api/v1/login with wrk, req/s,
#            p50/p99, the module's statements per request, DB time and WAL per
#            request (pg_stat_statements, preloaded in the bench's PostgreSQL
#            when this phase runs), CPU of postgres/Apache/HAProxy per request
#            (bench/cluster.sh)
# growth     (only when named) a small and a large database (GROWTH_SIZES, default
#            "1000 1000000"; GROWTH_CUST customers, default 500000) filled with SQL:
#            /me, staff inbox page 1 and 50, customer search by name prefix and
#            Kundennummer (req/s, large/small >= 0.8), longest purge batch (< 10 ms),
#            plans (bench/growth.sh)
# stall      (only when named) bench/stall.mjs: /me p99 while another request of
#            the same child runs a ~1 s statement (SQLite, PostgreSQL; node clients and
#            wrk -t1 -c4, STALL_WRK_SECS, STALL_WRK_ROUNDS), and /me
#            at -c256 on PostgreSQL behind PgBouncer (session mode): non-2xx;
#            /me at -c256 with max_connections 100 directly (named and unnamed
#            statements) and behind PgBouncer in transaction mode (unnamed):
#            req/s, non-2xx; named vs unnamed at -c32 (PGB_TX_POOL, PGB_TX_ROUNDS)
# resume     (only when named) bench/resume.mjs (issue 18): tus-js-client uploads
#            RESUME_MIB (50) MiB to /api/v1/uploads/tus through a proxy that drops
#            the link RESUME_DROPS (5) times: bytes the client sent in total / the
#            file (target <= 1.1), drops that deliver what crossed (fin) and that
#            lose what was in flight (rst), and without drops
# callgrind  instructions per request: apache2 -X under callgrind, ab -k -c1,
#            (Ir(N2)-Ir(N1))/(N2-N1) for static, /me (SQLite), mod_session_dbd (SQLite).
#
# Everything runs on 127.0.0.1 (ports $PEER_PORT, $JC_PORT) and a unix-socket
# PostgreSQL cluster in a scratch directory; all of it is stopped and removed
# at the end. Raw output: bench/results/<timestamp>/ (summary.txt there too).
# Env: REPS WRK_T WRK_C WRK_D LOGIN_N HASH_RUNS CG_N1 CG_N2 PEER_PORT JC_PORT PGPORT
#      SOAK_SECS SOAK_LOGIN_C SOAK_ME_C SOAK_MSG_C SOAK_UP_C SOAK_LOGIN_ONLY_SECS
#      CL_LB_PORT CL_N1_PORT CL_N2_PORT CL_LOGIN_C CL_IDLE_S CL_DBDMAX CL_DBDKEEP
#      CL_DBDEXPTIME (phase cluster)
#      TOUCH_BACKDATE (s, default 55: the /me session is made that old before
#      the first run, so the 60 s idle-timeout touch falls inside the run)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
source "$HERE/lib.sh"
source "$HERE/setup.sh"
source "$HERE/upload.sh"
source "$HERE/scan.sh"
source "$HERE/cluster.sh"
source "$HERE/growth.sh"

ALL_PHASES=(http login callgrind upload cluster)
# soak (10 min per database), growth (fills up to 1,000,000 rows) and
# stall (bench/stall.mjs, issue 20) only when named
KNOWN_PHASES=("${ALL_PHASES[@]}" soak growth stall scan resume)
PHASES=("$@"); [[ ${#PHASES[@]} -gt 0 ]] || PHASES=("${ALL_PHASES[@]}")
for p in "${PHASES[@]}"; do
  [[ " ${KNOWN_PHASES[*]} " == *" $p "* ]] || die "unknown phase '$p' (phases: ${KNOWN_PHASES[*]})"
done
has_phase() { [[ " ${PHASES[*]} " == *" $1 "* ]]; }
TOUCH_BACKDATE=${TOUCH_BACKDATE:-55}

T0=$(date +%s)
[[ $(id -u) -eq 0 ]] || die "run as root (Apache drops to $RUN_USER, PostgreSQL runs as postgres)"
has_phase cluster && { command -v haproxy >/dev/null || die "haproxy missing: apt-get install -y haproxy"; }
for t in wrk ab valgrind callgrind_annotate curl sqlite3 psql htpasswd cc; do
  command -v "$t" >/dev/null || die "$t missing: apt-get install -y wrk valgrind apache2-utils postgresql sqlite3 curl gcc"
done
[[ -x $APACHE_BIN ]] || die "apache2 missing"
[[ -f $TOP/build/mod_jobcenter.so && -x $TOP/build/jobcenter-admin ]] || die "build first: ./build.sh build (or ./build.sh bench)"
for port in "$PEER_PORT" "$JC_PORT"; do port_free "$port" || die "port $port busy (another bench running?)"; done

STAMP=$(date +%Y%m%d-%H%M%S)
RES=$TOP/bench/results/$STAMP
mkdir -p "$RES/raw"
BW=$(mktemp -d "${TMPDIR:-/tmp}/jc-bench.XXXXXX")
setup_paths

finish() {
  local rc=$?
  trap - EXIT INT TERM
  bench_cleanup
  scan_clamd_stop
  mkdir -p "$RES/logs"
  cp "$BW/peer/logs/error.log" "$RES/logs/peer-error.log" 2>/dev/null || true
  cp "$BW/jc-sqlite/logs/error.log" "$RES/logs/jc-sqlite-error.log" 2>/dev/null || true
  cp "$BW/jc-pg/logs/error.log" "$RES/logs/jc-pg-error.log" 2>/dev/null || true
  cp "$BW/logs/pg.log" "$RES/logs/pg.log" 2>/dev/null || true
  cp "$BW/cluster/haproxy/haproxy.log" "$RES/logs/haproxy.log" 2>/dev/null || true
  rm -rf "$BW"
  [[ $rc -eq 0 ]] || log "FAILED (rc $rc); partial results in $RES"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

{
  echo "date: $(date -Is)"; echo "phases: ${PHASES[*]}"; echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo || true; echo "kernel: $(uname -r)"
  "$APACHE_BIN" -v | head -1; { wrk --version 2>&1 || true; } | head -1
  ab -V | head -1; valgrind --version; "$PGBIN/postgres" --version 2>/dev/null || true
  echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1)"
  echo "git: $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo -) $(git -C "$TOP" status --porcelain 2>/dev/null | grep -q . && echo '(dirty tree)')"
  echo "wrk: -t$WRK_T -c$WRK_C -d${WRK_D}s x$REPS; login: ab -n $LOGIN_N; callgrind N1=$CG_N1 N2=$CG_N2"
  echo "module: $(ls -l --time-style=+%FT%T "$TOP/build/mod_jobcenter.so" | awk '{print $6}') $(sha256sum "$TOP/build/mod_jobcenter.so" | cut -c1-16)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/machine.txt"
log "results in $RES (scratch $BW)"

NEED_PG=0
{ has_phase http || has_phase login || has_phase soak || has_phase cluster || has_phase growth; } && NEED_PG=1
# phase cluster counts statements with pg_stat_statements (needs a preload;
# it costs the other phases' PostgreSQL cases a little when run together)
if has_phase cluster; then
  PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track_utility = on
max_connections = 200"
  echo "postgres: pg_stat_statements preloaded (phase cluster), max_connections 200" >> "$RES/machine.txt"
fi
setup_all "$NEED_PG"

PEER_ERR=$BW/peer/logs/error.log

# ---- database helpers for the module's instances ---------------------------------
jc_q() {   # jc_q sqlite|pg SQL -> rows
  if [[ $1 == sqlite ]]; then runuser -u "$RUN_USER" -- sqlite3 "$JC_SQLITE_DB" "$2"
  else psql_db jc -c "$2"; fi
}
sess_hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# ======================================================================================
# phase http
# ======================================================================================
declare -A WR   # write counts: WR[<db>.updates] WR[<db>.reqs] WR[<db>.ls0] ...

jc_me_case() {   # jc_me_case sqlite|pg CONF
  local db=$1 conf=$2 cookie h now u0 u1 ls0 ls1 x0 x1
  apache_start "$conf" "$JC_PORT"
  cookie=$(jc_login)
  assert_status "$JC_BASE/api/v1/me" 200 -H "Cookie: jc_session=$cookie"
  h=$(sess_hash "$cookie")
  [[ $(jc_q "$db" "SELECT count(*) FROM session WHERE id_hash = '$h'") == 1 ]] \
    || die "session row for the /me cookie not found ($db)"
  # make the session $TOUCH_BACKDATE s old: the module's touch (last_seen
  # write, at most every 60 s) then falls inside the first run
  now=$(date +%s)
  jc_q "$db" "UPDATE session SET last_seen = $((now - TOUCH_BACKDATE)) WHERE id_hash = '$h'"
  ls0=$(jc_q "$db" "SELECT last_seen FROM session WHERE id_hash = '$h'")
  u0=$(jc_q "$db" "SELECT n FROM bench_session_updates")
  [[ $db == pg ]] && x0=$(psql_db jc -c 'SELECT txid_current()')
  bench_wrk "jc-me-$db" "$(dirname "$conf")/logs/error.log" "$JC_BASE/api/v1/me" -H "Cookie: jc_session=$cookie"
  u1=$(jc_q "$db" "SELECT n FROM bench_session_updates")
  ls1=$(jc_q "$db" "SELECT last_seen FROM session WHERE id_hash = '$h'")
  WR[$db.updates]=$((u1 - u0))
  WR[$db.reqs]=$(wrk_reqs "jc-me-$db")
  WR[$db.ls0]=$((ls0 - now)); WR[$db.ls1]=$((ls1 - now))
  if [[ $db == pg ]]; then x1=$(psql_db jc -c 'SELECT txid_current()'); WR[pg.xacts]=$((x1 - x0 - 1)); fi
  assert_status "$JC_BASE/api/v1/me" 200 -H "Cookie: jc_session=$cookie"
  log "jc-me-$db: session UPDATEs during the runs: ${WR[$db.updates]} for ${WR[$db.reqs]} requests; last_seen now-$TOUCH_BACKDATE -> now$(printf '%+d' "${WR[$db.ls1]}")"
  printf '%s\tupdates %s\trequests %s\tlast_seen_before %+d\tlast_seen_after %+d\twrite_xacts %s\n' \
    "jc-me-$db" "${WR[$db.updates]}" "${WR[$db.reqs]}" "${WR[$db.ls0]}" "${WR[$db.ls1]}" "${WR[pg.xacts]:-n/a}" >> "$RES/writes.tsv"
  apache_stop "$conf"
}

peer_session_cases() {   # peer_session_cases sqlite|pg
  local db=$1 v cookie x0 x1
  for v in site slide; do
    cookie=$(peer_login)               # fresh session per variant
    assert_status "$PEER_BASE/s/$v/static.txt" 200 -H "Cookie: $cookie"
    [[ $db == pg ]] && x0=$(psql_db peer -c 'SELECT txid_current()')
    bench_wrk "peer-$([[ $v == site ]] && echo ro || echo slide)-$db" "$PEER_ERR" \
      "$PEER_BASE/s/$v/static.txt" -H "Cookie: $cookie"
    if [[ $db == pg ]]; then
      x1=$(psql_db peer -c 'SELECT txid_current()')
      WR[peer-$v.xacts]=$((x1 - x0 - 1))
      printf '%s\twrite_xacts %s\trequests %s\n' "peer-$v-pg" "$((x1 - x0 - 1))" \
        "$(wrk_reqs "peer-$([[ $v == site ]] && echo ro || echo slide)-pg")" >> "$RES/writes.tsv"
    fi
  done
}

phase_http() {
  log "== phase http =="
  apache_start "$PEER_CONF" "$PEER_PORT"
  assert_status "$PEER_BASE/static.txt" 200
  [[ $(curl -s "$PEER_BASE/static.txt" | wc -c) == 200 ]] || die "static.txt is not 200 bytes"
  bench_wrk static-mmap "$PEER_ERR" "$PEER_BASE/static.txt"
  peer_session_cases sqlite
  apache_stop "$PEER_CONF"

  apache_start "$PEER_CONF" "$PEER_PORT" NOMMAP
  bench_wrk static-nommap "$PEER_ERR" "$PEER_BASE/static.txt"
  apache_stop "$PEER_CONF"

  jc_me_case sqlite "$JC_SQLITE_CONF"
  jc_me_case pg "$JC_PG_CONF"

  apache_start "$PEER_CONF" "$PEER_PORT" JC_PG
  peer_session_cases pg
  apache_stop "$PEER_CONF"
}

# ======================================================================================
# phase login
# ======================================================================================
HASH_BG=NA HASH_MED=NA HASH_MIN=NA HASH_MAX=NA VERIFY_MED=NA PAR_PER_S=NA
phase_hash() {
  local B=$TOP/build/bench out
  mkdir -p "$B"
  cc -O2 -std=c11 -Wall -Wextra -o "$B/hashbench" "$HERE/hashbench.c" -largon2 -lpthread \
    || die "hashbench does not build (apt-get install -y libargon2-dev)"
  out=$RES/hash.txt
  HASH_BG=$(bg_busy 1)
  "$B/hashbench" "$HASH_RUNS" 19456 2 1 "$(nproc)" > "$out" || die "hashbench failed: $(cat "$out")"
  HASH_MED=$(awk '/^raw_ms:/{print $3}' "$out"); HASH_MIN=$(awk '/^raw_ms:/{print $5}' "$out")
  HASH_MAX=$(awk '/^raw_ms:/{print $7}' "$out"); VERIFY_MED=$(awk '/^verify_ms:/{print $3}' "$out")
  PAR_PER_S=$(awk '/^par_per_s:/{print $2}' "$out")
  log "argon2id m=19456 t=2 p=1: raw median $HASH_MED ms (min $HASH_MIN, max $HASH_MAX), verify $VERIFY_MED ms, $(nproc) threads: $PAR_PER_S hashes/s"
}

LOGIN_CS="1 2"
[[ $(nproc) -gt 2 ]] && LOGIN_CS="1 2 $(nproc)"
LOGIN_CT=$(tr ' ' '\n' <<<"$LOGIN_CS" | sort -n | tail -1)   # the concurrency the target uses

login_bench() {   # login_bench sqlite|pg CONF
  local db=$1 conf=$2 c r out before after lps p99 failed non2xx bg
  apache_start "$conf" "$JC_PORT"
  jc_login >/dev/null    # sanity
  # warm-up (not recorded): the first Argon2 run in each malloc arena page-faults
  # its 19 MiB work area (measured ~3400 minor faults per cold login vs ~250 warm)
  timeout 300 ab -n $((LOGIN_CT * 50)) -c "$LOGIN_CT" -s 60 -p "$BW/login.json" -T application/json \
    -H "Origin: $JC_BASE" "$JC_BASE/api/v1/login" > "$RES/raw/login-$db-warmup.txt" 2>&1 || die "ab warm-up failed"
  for c in $LOGIN_CS; do
    for ((r = 1; r <= REPS; r++)); do
      bg=$(bg_busy 1)
      before=$(jc_q "$db" 'SELECT count(*) FROM session')
      out="$RES/raw/login-$db-c$c.$r.txt"
      timeout 300 ab -n "$LOGIN_N" -c "$c" -s 60 -p "$BW/login.json" -T application/json \
        -H "Origin: $JC_BASE" "$JC_BASE/api/v1/login" > "$out" 2>&1 || die "ab failed ($out)"
      after=$(jc_q "$db" 'SELECT count(*) FROM session')
      lps=$(awk '/^Requests per second/{print $4}' "$out")
      p99=$(awk '/^ +99%/{print $2}' "$out")
      failed=$(awk '/^Failed requests/{print $3}' "$out")
      non2xx=$(awk '/^Non-2xx responses/{print $3}' "$out"); non2xx=${non2xx:-0}
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "login-$db-c$c" "$r" "$lps" "$p99" "$failed" "$non2xx" "$((after - before))" "$bg" \
        >> "$RES/login.tsv"
      log "login $db c$c rep $r: $lps logins/s, p99 $p99 ms, failed $failed, non-2xx $non2xx, new sessions $((after - before))"
    done
  done
  apache_stop "$conf"
}
login_stat() {   # login_stat NAME med|min|max
  [[ -s $RES/login.tsv ]] || { echo NA; return; }
  awk -F'\t' -v n="$1" '$1==n{print $3}' "$RES/login.tsv" | { case $2 in med) median ;; min) minof ;; max) maxof ;; esac; } | sed 's/^$/NA/'
}
login_bg() { awk -F'\t' -v n="$1" '$1==n{ if ($8 + 0 > m) m = $8 + 0; k++ } END{ if (k) print m; else print "NA" }' "$RES/login.tsv" 2>/dev/null || echo NA; }
login_bad() { awk -F'\t' -v n="$1" '$1==n{f+=$5; x+=$6; s+=$7; k++} END{ if(k) printf "%d/%d/%d", f, x, s; else print "NA" }' "$RES/login.tsv" 2>/dev/null || echo NA; }

phase_login() {
  log "== phase login =="
  phase_hash
  login_bench sqlite "$JC_SQLITE_CONF"
  login_bench pg "$JC_PG_CONF"
}

# ======================================================================================
# phase soak
# ======================================================================================
SOAK_SECS=${SOAK_SECS:-600}
declare -A SK   # SK[<db>.<figure>]
soak_db() {   # soak_db sqlite|pg CONF
  local db=$1 conf=$2 elog pidf cookie csrf h l0 out k code
  elog=$(dirname "$conf")/logs/error.log
  pidf=$(awk '$1=="PidFile"{print $2}' "$conf")
  apache_start "$conf" "$JC_PORT"
  l0=$(wc -l < "$elog")
  cookie=$(jc_login)
  csrf=$(sed -E 's/.*"csrf_token":"([^"]*)".*/\1/' "$BW/login.out")
  h=$(sess_hash "$cookie")
  # the bench account has no second factor: its session is made
  # "authenticated" directly (as bench/upload.sh does)
  jc_q "$db" "UPDATE session SET state = 6, verified_at = $(date +%s) WHERE id_hash = '$h'" >/dev/null
  # a person profile and active Online-Kommunikation (messages, uploads need
  # both), written directly: bench databases only
  local now; now=$(date +%s)
  if [[ $(jc_q "$db" "SELECT count(*) FROM customer WHERE kundennummer = '999B999999'") == 0 ]]; then
    jc_q "$db" "INSERT INTO jobcenter (name, street, postcode, city, phone, opening_hours, created_at)
        VALUES ('Jobcenter Bench', 'Benchstr. 1', '10115', 'Berlin', '030 1', 'Mo-Fr 8-12', $now)" >/dev/null
    jc_q "$db" "INSERT INTO customer (jobcenter_id, kundennummer, given_name, family_name, birth_date, street,
        postcode, city, account_id, bound_at, created_by, created_at)
        SELECT j.id, '999B999999', 'Bea', 'Bench', '1980-01-01', 'Benchstr. 2', '10115', 'Berlin', a.id, $now, a.id, $now
        FROM jobcenter j, account a WHERE j.name = 'Jobcenter Bench' AND a.email = '$JC_LOGIN'" >/dev/null
    jc_q "$db" "INSERT INTO online_consent (account_id, active_since, text_version, updated_at)
        SELECT id, $now, 'bench', $now FROM account WHERE email = '$JC_LOGIN'" >/dev/null
  fi
  for k in me messages; do
    code=$(curl -s -o "$BW/soak-pre.out" -w '%{http_code}' --max-time 30 -H "Cookie: jc_session=$cookie" "$JC_BASE/api/v1/$k")
    [[ $code == 200 ]] || die "soak preflight GET /api/v1/$k: $code $(head -c 300 "$BW/soak-pre.out")"
  done
  out=$RES/soak-$db.json
  log "soak $db: ${SOAK_SECS} s of logins, /me, messages, 2 KiB uploads, then ${SOAK_LOGIN_ONLY_SECS:-20} s logins only"
  SOAK_LOGIN=$JC_LOGIN SOAK_PASS=$JC_PASS SOAK_COOKIE=$cookie SOAK_CSRF=$csrf \
    SOAK_HASHBENCH=$TOP/build/bench/hashbench \
    timeout $((SOAK_SECS + 300)) node "$HERE/soak.mjs" "$JC_BASE" "$pidf" "$SOAK_SECS" "$out" \
    || die "soak load generator failed ($db)"
  SK[$db.locked]=$(tail -n +"$((l0 + 1))" "$elog" | grep -c 'database is locked' || true)
  SK[$db.errlog]=$(tail -n +"$((l0 + 1))" "$elog" | grep -c -E ':(error|crit|alert|emerg)\]' || true)
  apache_stop "$conf"
  cp "$elog" "$RES/logs-soak-$db-error.log" 2>/dev/null || true
}

# soak_report DB: the figures of soak-DB.json as text
soak_report() {
  local db=$1
  node -e '
const [f, secs, locked, errlog, hashMs, par, cores] = process.argv.slice(1);
const o = JSON.parse(require("fs").readFileSync(f, "utf8"));
const mib = (kb) => (kb / 1024).toFixed(1);
let other = 0, busy = 0;
console.log("  kind        requests   per s   p50 ms   p99 ms  admission-503  other-5xx  statuses");
for (const [k, s] of Object.entries(o.kinds)) {
  other += s.other_5xx; busy += s.admission_503;
  console.log("  " + k.padEnd(10) + String(s.n).padStart(10) + String(s.per_s).padStart(8) + String(s.p50_ms).padStart(9)
    + String(s.p99_ms).padStart(9) + String(s.admission_503).padStart(15) + String(s.other_5xx).padStart(11) + "  " + JSON.stringify(s.by));
  for (const x of s.samples_5xx) console.log("      5xx: " + x);
}
// RSS per child: at start (first sample), after 60 s, at the end of the mix
const at = (t) => o.rss.reduce((b, s) => (Math.abs(s.t - t) < Math.abs(b.t - t) ? s : b), o.rss[0]);
const s0 = o.rss[0], s1 = at(60), sEnd = at(o.secs);
const byPid = (s) => Object.fromEntries(s.kids.map((k) => [k.pid, k.rss_kb]));
const a = byPid(s1), e = byPid(sEnd);
let peak = 0, growth = -Infinity;
for (const s of o.rss) for (const k of s.kids) peak = Math.max(peak, k.rss_kb);
for (const pid of Object.keys(e)) if (a[pid] !== undefined) growth = Math.max(growth, e[pid] - a[pid]);
const fmt = (s) => s.kids.map((k) => k.pid + ":" + mib(k.rss_kb)).join(" ");
console.log("  child RSS MiB (pid:RSS) at start [t=" + s0.t + "s]: " + fmt(s0));
console.log("  child RSS MiB after ~1 min [t=" + s1.t + "s]: " + fmt(s1));
console.log("  child RSS MiB at the end of the mix [t=" + sEnd.t + "s]: " + fmt(sEnd));
console.log("  RSS growth after the first minute (largest, same child): " + (growth === -Infinity ? "NA" : mib(growth)) + " MiB   target < 16: " + (growth < 16 * 1024 ? "PASS" : "MISS"));
console.log("  peak RSS of a child: " + mib(peak) + " MiB   target <= 150 MB (143 MiB): " + (peak * 1024 <= 150e6 ? "PASS" : "MISS"));
console.log("  5xx other than admission 503: " + other + "   target 0: " + (other === 0 ? "PASS" : "MISS") + "   (admission 503s: " + busy + ")");
console.log("  \"database is locked\" lines in error.log: " + locked + "   target 0: " + (Number(locked) === 0 ? "PASS" : "MISS") + "   (error-level lines: " + errlog + ")");
// the raw rate measured right before and right after the login-only
// window (soak.mjs), their mean; else the rate at the start of the run
const hb = o.login_only.hash_before, ha = o.login_only.hash_after;
const beside = hb && ha && hb.raw_ms > 0 && ha.raw_ms > 0;
const refMs = beside ? (hb.raw_ms + ha.raw_ms) / 2 : Number(hashMs);
const refPar = beside ? ((hb.par_per_s + ha.par_per_s) / 2).toFixed(1) : par;
const raw = 1000 / refMs * Number(cores);
const lo = o.login_only.ok_per_s;
if (beside) console.log("  raw Argon2id beside the login-only window: median " + hb.raw_ms + " ms before, " + ha.raw_ms + " ms after (start of the run: " + hashMs + " ms); " + cores + " threads at once: " + hb.par_per_s + " / " + ha.par_per_s + " hashes/s");
// The target compares with the raw rate of all cores hashing at once
// (hashbench, one thread per core, beside the window): on this VM two
// threads reach only ~70 % of twice the one-thread rate (memory-bound
// Argon2, shared cores), and the one-thread rate itself moves between 27
// and 42 ms per hash within one run; the one-thread x cores figure is
// printed for reference.
const parNum = Number(refPar);
console.log("  login throughput, logins only (" + o.login_only.secs + " s, " + o.connections.login + " connections): " + lo + "/s; raw rate with " + cores + " threads hashing at once: " + refPar + "/s; ratio " + (lo / parNum).toFixed(2) + "   target >= 0.90: " + (lo / parNum >= 0.9 ? "PASS" : "MISS") + "   (one-thread rate x cores = 1000/" + refMs.toFixed(2) + " x " + cores + " = " + raw.toFixed(1) + "/s: ratio " + (lo / raw).toFixed(2) + "; hashbench itself reaches " + (parNum / raw).toFixed(2) + " of it)");
' "$RES/soak-$db.json" "$SOAK_SECS" "${SK[$db.locked]}" "${SK[$db.errlog]}" "$HASH_MED" "$PAR_PER_S" "$(nproc)"
}

phase_soak() {
  log "== phase soak =="
  command -v node >/dev/null || die "node missing (the soak load generator is bench/soak.mjs)"
  [[ $HASH_MED == NA ]] && phase_hash
  # SOAK_DBS: which databases (default both)
  [[ " ${SOAK_DBS:-sqlite pg} " == *" sqlite "* ]] && soak_db sqlite "$JC_SQLITE_CONF"
  [[ " ${SOAK_DBS:-sqlite pg} " == *" pg "* ]] && soak_db pg "$JC_PG_CONF"
  return 0
}

# ======================================================================================
# phase callgrind
# ======================================================================================
declare -A CG
CGD=$RES/callgrind
CG_IR=
# cg_start TAG N CONF PORT [valgrind options...]: apache2 -X under callgrind
# (started as root like the peers' callgrind.sh; Apache drops to $RUN_USER,
# callgrind writes OUT at exit as that user). Sets CG_VPID.
CG_VPID=
cg_start() {
  local tag=$1 n=$2 conf=$3 port=$4 out i; shift 4
  out=$CGD/$tag.$n.out
  wait_port_free "$port" 30 || die "port $port still busy"
  install -o "$RUN_USER" -m 644 /dev/null "$out"
  valgrind --tool=callgrind --vgdb=no --callgrind-out-file="$out" "$@" \
    "$APACHE_BIN" -X -f "$conf" > "$CGD/$tag.$n.vg.log" 2>&1 &
  CG_VPID=$!
  BENCH_PIDS+=("$CG_VPID")
  for ((i = 0; i < 1800; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    alive "$CG_VPID" || die "apache under valgrind exited at start: $(tail -3 "$CGD/$tag.$n.vg.log")"
    sleep 0.1
  done
  ((i < 1800)) || die "apache under valgrind did not start in 180 s ($CGD/$tag.$n.vg.log)"
}
cg_stop() {   # cg_stop TAG: TERM, wait for callgrind to write its file (bounded)
  local i
  kill -TERM "$CG_VPID"
  for ((i = 0; i < 1200; i++)); do alive "$CG_VPID" || break; sleep 0.1; done
  alive "$CG_VPID" && { kill -KILL "$CG_VPID"; die "valgrind did not exit after TERM ($1)"; }
  wait "$CG_VPID" 2>/dev/null || true
  BENCH_PIDS=("${BENCH_PIDS[@]/$CG_VPID}")
}
# cg_ab TAG N URL [COOKIE]: 20 warm-up requests, then N keep-alive requests, all must be 2xx
cg_ab() {
  local tag=$1 n=$2 url=$3 ck=${4:-} ab=()
  [[ -n $ck ]] && ab=(-C "$ck")
  timeout 600 ab -q -k -c 1 -n 20 -s 120 "${ab[@]}" "$url" > /dev/null || die "ab warm-up failed ($tag)"
  timeout 900 ab -q -k -c 1 -n "$n" -s 120 "${ab[@]}" "$url" > "$CGD/$tag.$n.ab.txt" || die "ab failed ($tag)"
  grep -q '^Non-2xx' "$CGD/$tag.$n.ab.txt" && die "non-2xx responses in $tag (see $CGD/$tag.$n.ab.txt)"
  grep -q '^Failed requests: *0' "$CGD/$tag.$n.ab.txt" || die "failed requests in $tag"
}
# cg_run TAG N CONF PORT URL [COOKIE]: whole-process Ir (start-up, warm-up,
# N requests, shutdown) -> CG_IR. Not in a subshell: the valgrind PID must
# reach the cleanup trap.
cg_run() {
  local tag=$1 n=$2 conf=$3 port=$4 url=$5 ck=${6:-}
  cg_start "$tag" "$n" "$conf" "$port"
  cg_ab "$tag" "$n" "$url" "$ck"
  cg_stop "$tag"
  CG_IR=$(awk '/^totals:/{print $2; exit}' "$CGD/$tag.$n.out")
  [[ -n $CG_IR ]] || die "no totals in $CGD/$tag.$n.out"
}
# cg_profile TAG N CONF PORT URL [COOKIE]: profile of the request path only
# (collection on inside ap_run_process_connection), for callgrind_annotate
cg_profile() {
  local tag=$1 n=$2 conf=$3 port=$4 url=$5 ck=${6:-}
  cg_start "$tag-conn" "$n" "$conf" "$port" --collect-atstart=no --toggle-collect=ap_run_process_connection
  cg_ab "$tag-conn" "$n" "$url" "$ck"
  cg_stop "$tag-conn"
}

# cg_breakdown TAG: self (exclusive) Ir per request by function and by object,
# from the request-path profile (cg_profile): -> TAG.self-perreq.txt,
# TAG.objects-perreq.txt. (Not from the N1/N2 difference: callgrind names
# symbol-less functions by offset, and those names collide across objects.)
cg_breakdown() {
  local tag=$1 f=$CGD/$1-conn.$CG_N2.out
  [[ -s $f ]] || return 0
  callgrind_annotate --threshold=100 "$f" > "$CGD/$tag-conn.self.txt" 2>/dev/null || return 0
  awk -v n=$((CG_N2 + 20)) -v objf="$CGD/$tag.objects-perreq.txt" '
    /^ *[0-9][0-9,]* \( *[0-9.]+%\) +/ {
      ir = $1; gsub(/,/, "", ir); ir += 0; fn = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", fn)
      if (fn == "PROGRAM TOTALS") next
      obj = fn
      if (match(fn, /\[[^]]*\]$/)) { obj = substr(fn, RSTART + 1, RLENGTH - 2); sub(/.*\//, "", obj) }
      else if (fn ~ /^\/work\/|jc_|mod_jobcenter/) obj = "mod_jobcenter.so"
      else { t = fn; sub(/:.*/, "", t); obj = "(no object: " t ")" }
      o[obj] += ir / n; tot += ir / n
      if (ir / n >= 1) printf "%10.0f  %s\n", ir / n, fn
    }
    END {
      for (x in o) if (o[x] >= 1) printf "%10.0f  %5.1f%%  %s\n", o[x], 100 * o[x] / tot, x > objf
      printf "%10.0f  100.0%%  total\n", tot > objf
    }' "$CGD/$tag-conn.self.txt" | sort -rn > "$CGD/$tag.self-perreq.txt"
  sort -rn -o "$CGD/$tag.objects-perreq.txt" "$CGD/$tag.objects-perreq.txt"
}

# cg_fn TAG FUNCTION: inclusive Ir per request of FUNCTION in the request-path
# profile (largest of its entries), or "-"
cg_fn() {
  local f=$CGD/$1-conn.inclusive.txt
  [[ -s $f ]] || { echo -; return; }
  awk -v n=$((CG_N2 + 20)) -v fn="$2" '/^ *[0-9][0-9,]* \(/ {
      name = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", name); sub(/ \[[^]]*\]$/, "", name); sub(/.*:/, "", name)
      if (name == fn) { v = $1; gsub(/,/, "", v); if (v + 0 > m) m = v + 0 } }
    END { if (m) printf "%.0f", m / n; else print "-" }' "$f"
}
# cg_full_fn TAG FUNCTION: inclusive Ir per request from the N1/N2 whole-process runs
# (for work done outside ap_run_process_connection, e.g. the access log)
cg_full_fn() {
  local t=$1 fn=$2 a b
  a=$(callgrind_annotate --inclusive=yes --threshold=100 "$CGD/$t.$CG_N1.out" 2>/dev/null | awk -v fn="$fn" '$0 ~ ":" fn " " || $0 ~ ":" fn "$" {v=$1; gsub(/,/,"",v); print v; exit}')
  b=$(callgrind_annotate --inclusive=yes --threshold=100 "$CGD/$t.$CG_N2.out" 2>/dev/null | awk -v fn="$fn" '$0 ~ ":" fn " " || $0 ~ ":" fn "$" {v=$1; gsub(/,/,"",v); print v; exit}')
  awk -v a="${a:-0}" -v b="${b:-0}" -v n=$((CG_N2 - CG_N1)) 'BEGIN{ if (b+0 == 0) print "-"; else printf "%.0f", (b-a)/n }'
}

cg_conn_perreq() {   # Ir per request inside ap_run_process_connection (profile run), or ""
  local f=$CGD/$1-conn.$CG_N2.out
  [[ -s $f ]] || return 0
  awk -v n=$((CG_N2 + 20)) '/^totals:/{printf "%.0f", $2 / n; exit}' "$f"
}

phase_callgrind() {
  log "== phase callgrind =="
  mkdir -p "$CGD"; chown "$RUN_USER" "$CGD"
  local jc_ck peer_ck tag conf port url ck a b now h
  # sessions come from normal (not valgrind) instances; they stay in the databases
  apache_start "$JC_SQLITE_CONF" "$JC_PORT"
  jc_ck=$(jc_login); assert_status "$JC_BASE/api/v1/me" 200 -H "Cookie: jc_session=$jc_ck"
  apache_stop "$JC_SQLITE_CONF"
  apache_start "$PEER_CONF" "$PEER_PORT"
  peer_ck=$(peer_login); assert_status "$PEER_BASE/s/site/static.txt" 200 -H "Cookie: $peer_ck"
  apache_stop "$PEER_CONF"
  h=$(sess_hash "$jc_ck")

  local cases=(
    "static|$PEER_CONF|$PEER_PORT|$PEER_BASE/static.txt|"
    "jc-me-sqlite|$JC_SQLITE_CONF|$JC_PORT|$JC_BASE/api/v1/me|jc_session=$jc_ck"
    "peer-ro-sqlite|$PEER_CONF|$PEER_PORT|$PEER_BASE/s/site/static.txt|$peer_ck"
  )
  printf '%-16s %14s %14s %14s\n' case "Ir(N1=$CG_N1)" "Ir(N2=$CG_N2)" instr/request > "$CGD/summary.txt"
  for c in "${cases[@]}"; do
    IFS='|' read -r tag conf port url ck <<<"$c"
    for n in "$CG_N1" "$CG_N2"; do
      # keep the module's touch out of both runs: last_seen = now
      [[ $tag == jc-* ]] && { now=$(date +%s); jc_q sqlite "UPDATE session SET last_seen = $now WHERE id_hash = '$h'"; }
      cg_run "$tag" "$n" "$conf" "$port" "$url" "$ck"
      CG[$tag.$n]=$CG_IR
      log "callgrind $tag N=$n: Ir $CG_IR"
    done
    CG[$tag]=$(awk -v a="${CG[$tag.$CG_N1]}" -v b="${CG[$tag.$CG_N2]}" -v n=$((CG_N2 - CG_N1)) 'BEGIN{printf "%.0f", (b-a)/n}')
    printf '%-16s %14s %14s %14s\n' "$tag" "${CG[$tag.$CG_N1]}" "${CG[$tag.$CG_N2]}" "${CG[$tag]}" >> "$CGD/summary.txt"
    # request-path profile: one more run, N2 requests, collection inside ap_run_process_connection
    [[ $tag == jc-* ]] && { now=$(date +%s); jc_q sqlite "UPDATE session SET last_seen = $now WHERE id_hash = '$h'"; }
    cg_profile "$tag" "$CG_N2" "$conf" "$port" "$url" "$ck"
    callgrind_annotate --inclusive=yes "$CGD/$tag-conn.$CG_N2.out" > "$CGD/$tag-conn.inclusive.txt" 2>/dev/null || true
    cg_breakdown "$tag" || true
  done
  cat "$CGD/summary.txt" >&2
}

has_phase http && phase_http
has_phase login && phase_login
has_phase callgrind && phase_callgrind
has_phase upload && phase_upload
has_phase scan && phase_scan
has_phase soak && phase_soak
has_phase cluster && phase_cluster
has_phase growth && phase_growth
# stall: its own servers and PostgreSQL through the test harness
has_phase stall && { log "== phase stall =="; STALL_OUT=$RES/stall.txt \
  node --test-reporter=dot "$HERE/stall.mjs" > "$RES/stall.log" 2>&1 || log "stall: see $RES/stall.log"; }
# resume: its own server through the test harness (issue 18)
has_phase resume && { log "== phase resume =="; RESUME_OUT=$RES/resume.txt \
  node --test-reporter=dot "$HERE/resume.mjs" > "$RES/resume.log" 2>&1 || log "resume: see $RES/resume.log"; }

# ======================================================================================
# summary
# ======================================================================================
summary() {
  local n med mn mx p99 p99mn p99mx r
  echo "================ mod_jobcenter bench summary ($STAMP) ================"
  echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); wrk and the servers share the cores"
  if has_phase http; then
    echo
    echo "-- 1. requests (wrk -t$WRK_T -c$WRK_C -d${WRK_D}s --latency, $REPS runs: median (min-max)) --"
    printf '%-20s %-26s %-24s %-11s %-7s %s\n' case "req/s" "p99 ms" "bad/errlog" "little" "bg%max"
    for n in static-mmap static-nommap jc-me-sqlite peer-ro-sqlite peer-slide-sqlite jc-me-pg peer-ro-pg peer-slide-pg; do
      med=$(wrk_stat "$n" rps med); mn=$(wrk_stat "$n" rps min); mx=$(wrk_stat "$n" rps max)
      p99=$(wrk_stat "$n" p99 med); p99mn=$(wrk_stat "$n" p99 min); p99mx=$(wrk_stat "$n" p99 max)
      printf '%-20s %-26s %-24s %-11s %-7s %s\n' "$n" "$(printf '%.0f (%.0f-%.0f)' "$med" "$mn" "$mx")" \
        "$(printf '%.2f (%.2f-%.2f)' "$p99" "$p99mn" "$p99mx")" "$(wrk_errs "$n")" "$(wrk_little "$n")" "$(wrk_bg "$n")"
    done
    echo "(bad = non-2xx + socket errors over all runs; errlog = error-level lines logged by the server;"
    echo " little = req/s x mean latency / $WRK_C connections, median of runs: Little's law bounds it by 1, wrk here"
    echo " reads ~1.2-2; much larger means that case's latency samples (p99) are inconsistent -- compare req/s only;"
    echo " bg%max = CPU busy (all cores) in the 1 s before each run while the bench was idle: other users of the"
    echo " machine; above ~5% the figures of that case are disturbed)"
    echo
    echo "ratios (median req/s)                                 ratio   target   verdict"
    rt() { # label A B op target
      r=$(ratio "$(wrk_stat "$2" rps med)" "$(wrk_stat "$3" rps med)")
      printf '%-52s %6s   %-7s  %s\n' "$1" "$r" "${5:+$([[ $4 == ge ]] && echo '>=')$5}" "${5:+$(verdict "$r" "$4" "$5")}"
    }
    rt "module /me SQLite / static (EnableMMAP On)" jc-me-sqlite static-mmap ge 0.75
    rt "module /me SQLite / static (EnableMMAP Off)" jc-me-sqlite static-nommap ge 0.75
    rt "module /me PG / mod_session_dbd read-only PG" jc-me-pg peer-ro-pg ge 1.0
    rt "module /me PG / mod_session_dbd sliding PG" jc-me-pg peer-slide-pg ge 1.0
    rt "module /me SQLite / mod_session_dbd read-only SQLite" jc-me-sqlite peer-ro-sqlite
    rt "module /me SQLite / mod_session_dbd sliding SQLite" jc-me-sqlite peer-slide-sqlite
    echo
    echo "database writes during the /me runs (session backdated ${TOUCH_BACKDATE}s, touch interval 60 s):"
    local db per
    for db in sqlite pg; do
      [[ -n ${WR[$db.reqs]:-} ]] || continue
      per=$(awk -v u="${WR[$db.updates]}" -v q="${WR[$db.reqs]}" 'BEGIN{ if (q>0) printf "%.2e", u/q; else print "NA" }')
      printf '  %-7s UPDATE session rows: %s for %s requests (%s/request)%s; last_seen %+ds -> %+ds   target ~0/request: %s\n' \
        "$db" "${WR[$db.updates]}" "${WR[$db.reqs]}" "$per" \
        "$([[ $db == pg ]] && echo "; write transactions in the cluster: ${WR[pg.xacts]}")" \
        "${WR[$db.ls0]}" "${WR[$db.ls1]}" "$(verdict "$per" lt 0.001)"
    done
    if [[ ${WR[sqlite.updates]:-0} -gt 1 || ${WR[pg.updates]:-0} -gt 1 ]]; then
      echo "  (more than 1 UPDATE per crossing of the 60 s touch interval: every request in flight that read the old"
      echo "   last_seen writes too -- jc_sess_touch has no 'AND last_seen < now - touch' guard)"
    fi
    [[ -n ${WR[peer-slide.xacts]:-} ]] && printf '  peers on PG, write transactions: read-only %s for %s requests, sliding %s for %s requests\n' \
      "${WR[peer-site.xacts]}" "$(wrk_reqs peer-ro-pg)" "${WR[peer-slide.xacts]}" "$(wrk_reqs peer-slide-pg)"
  fi
  if has_phase login; then
    echo
    echo "-- 2. logins (ab -n $LOGIN_N POST /api/v1/login, $REPS runs: median (min-max)) --"
    printf '%-18s %-28s %-40s %s\n' case "logins/s" "failed/non-2xx/new-sessions (all runs)" "bg%max"
    for db in sqlite pg; do for c in $LOGIN_CS; do
      n=login-$db-c$c
      printf '%-18s %-28s %-40s %s\n' "$n" "$(printf '%.1f (%.1f-%.1f)' "$(login_stat "$n" med)" "$(login_stat "$n" min)" "$(login_stat "$n" max)")" "$(login_bad "$n")" "$(login_bg "$n")"
    done; done
    local cap1 capn
    cap1=$(awk -v h="$HASH_MED" 'BEGIN{ if (h+0>0) printf "%.1f", 1000/h; else print "NA" }')
    capn=$(awk -v h="$HASH_MED" -v p="$(nproc)" 'BEGIN{ if (h+0>0) printf "%.1f", 1000/h*p; else print "NA" }')
    echo "argon2id m=19456 t=2 p=1 in-process: argon2id_hash_raw median $HASH_MED ms (min $HASH_MIN, max $HASH_MAX, n=$HASH_RUNS); argon2id_verify median $VERIFY_MED ms"
    echo "  raw rate: 1000/hash_ms = $cap1/s per core; x nproc $(nproc) = $capn/s; measured with $(nproc) threads at once: $PAR_PER_S/s (background CPU before: $HASH_BG%)"
    echo
    echo "ratios (median logins/s)                              ratio   target   verdict"
    for db in sqlite pg; do
      r=$(ratio "$(login_stat "login-$db-c$LOGIN_CT" med)" "$capn")
      printf '%-52s %6s   >=0.80   %s\n' "login $db -c$LOGIN_CT / ((1000/hash_ms) x nproc)" "$r" "$(verdict "$r" ge 0.80)"
      r=$(ratio "$(login_stat "login-$db-c$LOGIN_CT" med)" "$PAR_PER_S")
      printf '%-52s %6s   (info: vs %s threads hashing at once)\n' "login $db -c$LOGIN_CT / measured parallel hash rate" "$r" "$(nproc)"
      r=$(ratio "$(login_stat "login-$db-c1" med)" "$cap1")
      printf '%-52s %6s\n' "login $db -c1 / (1000/hash_ms)" "$r"
    done
    r=$(ratio "$PAR_PER_S" "$capn")
    printf '%-52s %6s   (ceiling of the target ratio on this machine)\n' "hash only: $(nproc) threads / ((1000/hash_ms) x nproc)" "$r"
  fi
  if has_phase callgrind; then
    echo
    echo "-- 3. instructions per request (callgrind, apache2 -X, ab -k -c1, (Ir($CG_N2)-Ir($CG_N1))/$((CG_N2 - CG_N1))) --"
    printf '%-18s %14s %s\n' case instr/request "(inside ap_run_process_connection, profile run)"
    for n in static jc-me-sqlite peer-ro-sqlite; do
      printf '%-18s %14s %s\n' "$n" "${CG[$n]:-NA}" "$(cg_conn_perreq "$n")"
    done
    r=$(ratio "${CG[jc-me-sqlite]:-NA}" "${CG[peer-ro-sqlite]:-NA}")
    printf '%-52s %6s   %-7s  %s\n' "module /me SQLite / mod_session_dbd read-only SQLite" "$r" "<1.00" "$(verdict "$r" lt 1.0)"
    printf '%-52s %6s\n' "module /me SQLite / static" "$(ratio "${CG[jc-me-sqlite]:-NA}" "${CG[static]:-NA}")"
    printf '%-52s %6s\n' "mod_session_dbd read-only SQLite / static" "$(ratio "${CG[peer-ro-sqlite]:-NA}" "${CG[static]:-NA}")"
    echo
    echo "where the instructions go (inclusive Ir per request, request-path profile):"
    local fn t
    printf '  %-36s %10s   %s\n' "jc-me-sqlite" "Ir/req" "what"
    for fn in "ap_process_async_request:whole request (excl. listener, access log)" \
              "ap_read_request:read + parse request headers" \
              "jc_api_handler:module handler" \
              "jc_session_load:  session check" \
              "jc_token_hash:    SHA-256 of the cookie token" \
              "EVP_MD_fetch:      OpenSSL 3 SHA-256 lookup inside it" \
              "apr_dbd_pbselect:    SELECT session JOIN account" \
              "route_me:  JSON build (json_pack)" \
              "send_json:  JSON out (json_dumps + ap_rwrite)" \
              "json_dumps:    json_dumps" \
              "json_delete:  JSON free"; do
      printf '  %-36s %10s   %s\n' "${fn%%:*}" "$(cg_fn jc-me-sqlite "${fn%%:*}")" "${fn#*:}"
    done
    printf '  %-36s %10s   %s\n' "ap_run_log_transaction" "$(cg_full_fn jc-me-sqlite ap_run_log_transaction)" "access log (CustomLog from gen-config; peers have none; N1/N2 difference)"
    printf '  %-36s %10s   %s\n' "outbox_tick" "$(cg_full_fn jc-me-sqlite outbox_tick)" "watchdog (every 2 s; more ticks in the longer N2 run: inflates the N1/N2 figure only)"
    printf '  %-36s %10s   %s\n' "ap_dbd_open" "$(cg_full_fn jc-me-sqlite ap_dbd_open)" "watchdog's DB handle (a new connection prepares all statements; same caveat)"
    printf '  %-36s %10s   %s\n' "peer-ro-sqlite" "Ir/req" "what"
    for fn in "ap_process_async_request:whole request" \
              "ap_run_check_user_id:mod_auth_form + mod_session (+dbd) check" \
              "apr_dbd_pvbselect:  SELECT value FROM session" \
              "ap_invoke_handler:static file handler"; do
      printf '  %-36s %10s   %s\n' "${fn%%:*}" "$(cg_fn peer-ro-sqlite "${fn%%:*}")" "${fn#*:}"
    done
    for t in jc-me-sqlite peer-ro-sqlite; do
      [[ -s $CGD/$t.objects-perreq.txt ]] || continue
      echo
      echo "$t: self instructions per request by object (request-path profile):"
      head -12 "$CGD/$t.objects-perreq.txt"
    done
    if [[ -s $CGD/jc-me-sqlite.self-perreq.txt ]]; then
      echo
      echo "jc-me-sqlite: self instructions per request by function (request-path profile, top 25):"
      head -25 "$CGD/jc-me-sqlite.self-perreq.txt"
    fi
    if [[ -s $CGD/jc-me-sqlite-conn.inclusive.txt ]]; then
      echo
      echo "jc-me-sqlite: callgrind_annotate --inclusive=yes, request path only (ap_run_process_connection, $((CG_N2 + 20)) requests), top 25; /req = divided by $((CG_N2 + 20)):"
      awk -v n=$((CG_N2 + 20)) '/^-+$/ { d++ } d >= 4 && /^ *[0-9][0-9,]* \(/ { v = $1; gsub(/,/, "", v);
        if (k++ < 25) printf "%9.0f/req  %s\n", v / n, $0 }' "$CGD/jc-me-sqlite-conn.inclusive.txt"
    fi
  fi
  if has_phase upload; then
    upload_summary
  fi
  if has_phase scan; then
    scan_summary
  fi
  if has_phase soak; then
    echo
    echo "-- soak: ${SOAK_SECS} s of mixed load at saturation per database (bench/soak.mjs: login ${SOAK_LOGIN_C:-8}, /me ${SOAK_ME_C:-8}, messages ${SOAK_MSG_C:-4}, 2 KiB uploads ${SOAK_UP_C:-4} keep-alive connections), then logins only --"
    echo "argon2id m=19456 t=2 p=1 in-process: hash median $HASH_MED ms, $(nproc) threads at once $PAR_PER_S/s"
    for db in sqlite pg; do
      [[ -s $RES/soak-$db.json ]] || continue
      echo "$db:"
      soak_report "$db"
    done
  fi
  if has_phase cluster; then
    cluster_summary
  fi
  if has_phase growth; then
    growth_summary
  fi
  if has_phase stall; then
    echo; echo "-- stall (bench/stall.mjs) --"; cat "$RES/stall.txt" 2>/dev/null || echo "no figures: $RES/stall.log"
  fi
  if has_phase resume; then
    echo; echo "-- resume (bench/resume.mjs) --"; cat "$RES/resume.txt" 2>/dev/null || echo "no figures: $RES/resume.log"
  fi
  echo
  echo "runtime: $(( $(date +%s) - T0 )) s; load average at start / end: $(awk -F': ' '/^load at start/{print $2}' "$RES/machine.txt") / $(cut -d' ' -f1-3 /proc/loadavg); raw output: $RES"
}
summary | tee "$RES/summary.txt"
