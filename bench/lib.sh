# shellcheck shell=bash
# bench/lib.sh -- settings and helpers for bench/run.sh (sourced).
#
# Everything listens on 127.0.0.1 (Apache) or a unix socket (PostgreSQL),
# lives in a per-run scratch directory $BW, and every process we start is
# recorded by PID and stopped by PID (bench_cleanup, run from a trap).
set -euo pipefail

# ---- settings (override through the environment) --------------------------
PEER_PORT=${PEER_PORT:-18481}     # stock Apache peers (static file, mod_session_dbd)
JC_PORT=${JC_PORT:-18482}         # Apache + mod_jobcenter
CG_PORT=${CG_PORT:-18483}         # apache2 -X under callgrind
PGPORT=${PGPORT:-18484}           # PostgreSQL: names the unix socket only (listen_addresses='')
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
APACHE_BIN=${APACHE_BIN:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
RUN_USER=${RUN_USER:-www-data}

WRK_T=${WRK_T:-2}; WRK_C=${WRK_C:-32}; WRK_D=${WRK_D:-10}; REPS=${REPS:-3}
LOGIN_N=${LOGIN_N:-200}
HASH_RUNS=${HASH_RUNS:-15}
CG_N1=${CG_N1:-200}; CG_N2=${CG_N2:-1200}

# accounts used by the benchmark (throw-away databases only)
JC_LOGIN=${JC_LOGIN:-bench@example.org}
JC_PASS=${JC_PASS:-Bench-Passw0rd!}
PEER_USER=${PEER_USER:-citizen}
PEER_PASS=${PEER_PASS:-correct-horse-battery}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- process tracking ------------------------------------------------------
# Apache instances: "pidfile" entries; valgrind: plain PIDs; PG: data dirs.
BENCH_PIDFILES=() BENCH_PIDS=() BENCH_PGDATA=()

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT [SECONDS]: until something answers on 127.0.0.1:PORT
wait_port() {
  local port=$1 max=${2:-20} i
  for ((i = 0; i < max * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# wait_port_free PORT [SECONDS]
wait_port_free() {
  local port=$1 max=${2:-20} i
  for ((i = 0; i < max * 10; i++)); do port_free "$port" && return 0; sleep 0.1; done
  return 1
}

# alive PID: running (a zombie child of ours counts as gone)
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# kill_wait PID [SECONDS]: TERM, wait, then KILL (only this PID)
kill_wait() {
  local pid=$1 max=${2:-10} i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < max * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
  log "pid $pid did not stop after ${max}s, sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# ---- Apache ----------------------------------------------------------------
# apache_start CONF PORT [DEFINE...]
apache_start() {
  local conf=$1 port=$2 d args=() pidf; shift 2
  for d in "$@"; do args+=(-D "$d"); done
  pidf=$(awk '$1=="PidFile"{print $2}' "$conf")
  port_free "$port" || die "port $port is busy (another bench or test running?)"
  "$APACHE_BIN" -f "$conf" "${args[@]}" -t >/dev/null 2>&1 \
    || { "$APACHE_BIN" -f "$conf" "${args[@]}" -t; die "config test failed: $conf"; }
  BENCH_PIDFILES+=("$pidf")
  "$APACHE_BIN" -f "$conf" "${args[@]}" -k start
  wait_port "$port" 20 || die "apache did not come up on $port; see $(dirname "$conf")/logs/error.log"
  local i   # the port opens before the parent writes its pid file
  for ((i = 0; i < 100; i++)); do [[ -s $pidf ]] && break; sleep 0.1; done
  [[ -s $pidf ]] || die "apache wrote no pid file $pidf"
  log "apache up on :$port (pid $(cat "$pidf"), $(basename "$(dirname "$conf")")${*:+, $*})"
}

# apache_stop CONF
apache_stop() {
  local pidf pid
  pidf=$(awk '$1=="PidFile"{print $2}' "$1")
  [[ -f $pidf ]] || return 0
  pid=$(cat "$pidf" 2>/dev/null || true)
  [[ -n $pid ]] && kill_wait "$pid" 15
  rm -f "$pidf"
}

# ---- PostgreSQL (own throw-away cluster, unix socket only) -----------------
pg_as() { runuser -u postgres -- "$@"; }
pg_start() {   # pg_start DATADIR SOCKDIR LOGFILE
  local data=$1 sock=$2 logf=$3
  if [[ -f $data/postmaster.pid ]] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null; then return 0; fi
  BENCH_PGDATA+=("$data")
  pg_as "$PGBIN/pg_ctl" -D "$data" -l "$logf" -w -t 30 start \
    -o "-c listen_addresses='' -k $sock -p $PGPORT" >/dev/null
  log "postgres up (pid $(head -1 "$data/postmaster.pid"), socket $sock/.s.PGSQL.$PGPORT)"
}
pg_stop() {    # pg_stop DATADIR
  [[ -f $1/postmaster.pid ]] || return 0
  pg_as "$PGBIN/pg_ctl" -D "$1" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

bench_cleanup() {
  local f p
  for p in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do kill_wait "$p" 20; done
  for f in "${BENCH_PIDFILES[@]+"${BENCH_PIDFILES[@]}"}"; do
    [[ -f $f ]] || continue
    p=$(cat "$f" 2>/dev/null || true)
    [[ -n $p ]] && kill_wait "$p" 15
    rm -f "$f"
  done
  for f in "${BENCH_PGDATA[@]+"${BENCH_PGDATA[@]}"}"; do pg_stop "$f"; done
}

# ---- statistics ------------------------------------------------------------
# median of the numbers on stdin (one per line)
median() { sort -g | awk '{v[NR]=$1} END{if(!NR){print "NA";exit} print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
minof()  { sort -g | head -1; }
maxof()  { sort -g | tail -1; }
# ratio A B [digits]
ratio()  { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN{ if (a==""||b==""||a=="NA"||b=="NA"||b+0==0) print "NA"; else printf "%.*f\n", d, a/b }'; }
# verdict VALUE OP TARGET  (OP: ge|le|lt)
verdict() {
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{
    if (v=="NA"||v=="") { print "n/a"; exit }
    ok = (op=="ge") ? (v+0 >= t+0) : (op=="lt") ? (v+0 < t+0) : (v+0 <= t+0);
    print ok ? "PASS" : "MISS" }'
}

# bg_busy [SECONDS]: % of all CPUs busy over SECONDS (default 1) while the bench
# itself is idle -- other users of the machine (test suites, builds) show here
bg_busy() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep "${1:-1}"
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN{ split(a, x, " "); split(b, y, " "); t = y[2] - x[2];
    v = (t > 0) ? 100 * (y[1] - x[1]) / t : 0; printf "%.0f\n", v }'
}

# ---- wrk -------------------------------------------------------------------
_to_ms() { # 1.23ms / 456.00us / 1.20s / 1.00m -> ms
  awk -v v="$1" 'BEGIN{ n=v; sub(/[a-z]+$/,"",n); u=v; sub(/^[0-9.]+/,"",u);
    f=(u=="us")?0.001:(u=="ms")?1:(u=="s")?1000:(u=="m")?60000:1; printf "%.3f", n*f }'
}

# bench_wrk NAME ERRLOG URL [wrk args...]
# $REPS runs; raw output in $RES/raw/NAME.N.txt; one line per run in $RES/wrk.tsv:
# name rep rps p99_ms non2xx sockerr errlog_lines requests mean_latency_ms bg_busy_pct
bench_wrk() {
  local name=$1 elog=$2 url=$3; shift 3
  [[ $url == http://127.0.0.1:* ]] || die "refusing non-loopback URL $url"
  mkdir -p "$RES/raw"
  local r out rps p99 bad err el0 el nreq mean bg
  for ((r = 1; r <= REPS; r++)); do
    out="$RES/raw/$name.$r.txt"
    bg=$(bg_busy 1)   # also the pause between runs
    el0=$(wc -l < "$elog")
    timeout $((WRK_D + 40)) wrk -t"$WRK_T" -c"$WRK_C" -d"${WRK_D}s" --timeout 30s --latency "$@" "$url" \
      > "$out" 2>&1 || die "wrk failed for $name (see $out)"
    rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
    p99=$(_to_ms "$(awk '$1=="99%"{print $2}' "$out")")
    nreq=$(awk '/requests in/{print $1}' "$out")
    bad=$(awk -F': ' '/Non-2xx or 3xx/{print $2}' "$out"); bad=${bad:-0}
    err=$(awk '/Socket errors/{gsub(/,/,""); print $4+$6+$8+$10}' "$out"); err=${err:-0}
    el=$(tail -n +"$((el0 + 1))" "$elog" | grep -c -E ':(error|crit|alert|emerg)\]' || true)
    mean=$(_to_ms "$(awk '$1=="Latency" && $2 ~ /^[0-9]/{print $2}' "$out")")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$r" "$rps" "$p99" "$bad" "$err" "$el" "$nreq" "$mean" "$bg" >> "$RES/wrk.tsv"
    log "$name rep $r: $rps req/s, p99 ${p99} ms, non2xx $bad, sockerr $err, errlog $el (background CPU before: $bg%)"
  done
}

# wrk_stat NAME FIELD(rps|p99) STAT(med|min|max)
wrk_stat() {
  local col
  case $2 in rps) col=3 ;; p99) col=4 ;; *) die "wrk_stat field $2" ;; esac
  [[ -s $RES/wrk.tsv ]] || { echo NA; return; }
  awk -F'\t' -v n="$1" -v c="$col" '$1==n{print $c}' "$RES/wrk.tsv" \
    | { case $3 in med) median ;; min) minof ;; max) maxof ;; esac; } | sed 's/^$/NA/'
}
# wrk_errs NAME -> "non2xx+sockerr/errlog"
wrk_errs() {
  awk -F'\t' -v n="$1" '$1==n{e+=$5+$6; l+=$7; k++} END{ if(k) printf "%d/%d", e, l; else print "NA" }' "$RES/wrk.tsv" 2>/dev/null || echo NA
}
# wrk_little NAME -> median over runs of (req/s x mean latency) / connections.
# Little's law makes this <= 1 for exact latencies; wrk on a saturated 2-vCPU box
# reads ~1.2-2; far above that, the run's latency figures (p99) are not trustworthy.
wrk_little() {
  awk -F'\t' -v n="$1" -v c="$WRK_C" '$1==n{printf "%.1f\n", $3 * $9 / 1000 / c}' "$RES/wrk.tsv" 2>/dev/null | median
}
wrk_bg() { awk -F'\t' -v n="$1" '$1==n{ if ($10 + 0 > m) m = $10 + 0; k++ } END{ if (k) print m; else print "NA" }' "$RES/wrk.tsv" 2>/dev/null || echo NA; }
wrk_reqs() { awk -F'\t' -v n="$1" '$1==n{s+=$8} END{print s+0}' "$RES/wrk.tsv" 2>/dev/null || echo 0; }
