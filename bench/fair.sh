#!/usr/bin/env bash
# bench/fair.sh -- issue 20: GET /api/v1/me against fairly configured stock
# peers, interleaved, at several concurrencies, on SQLite and PostgreSQL.
#
#   bench/fair.sh            (after a build; as root)
#   FAIR_CS="1 32 256" REPS=3 WRK_D=10 bench/fair.sh
#
# Per database three servers run at the same time, so every round measures
# every case once, one after the other (interleaved: drift of the machine
# hits all cases alike):
#   peer  (PEER_PORT)  EnableMMAP Off: static-nommap, peer-ro (mod_auth_form +
#                      mod_session_dbd, 1 SELECT), peer-slide60 (SessionMaxAge
#                      + SessionExpiryUpdateInterval 60: a write at most once
#                      a minute, the module's touch rate)   <- the fair peers
#   peer2 (PEER2_PORT) EnableMMAP On (httpd's default): static-mmap and the
#                      peers as bench/run.sh measured them before issue 20,
#                      peer-ro-old, peer-slide-old (SessionMaxAge: SELECT +
#                      UPDATE on every request)                <- old figures
#   jc    (JC_PORT)    the module, tools/gen-config.sh:        jc-me
# Output: bench/results/fair-<stamp>/fair.tsv and summary.txt (both tables:
# the old comparison and the fair one, req/s median and p99).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
source "$HERE/lib.sh"
source "$HERE/setup.sh"
FAIR_CS=${FAIR_CS:-"1 32 256"}
PEER2_PORT=${PEER2_PORT:-18485}

[[ $(id -u) -eq 0 ]] || die "run as root"
[[ -f $TOP/build/mod_jobcenter.so ]] || die "build first"
for port in "$PEER_PORT" "$PEER2_PORT" "$JC_PORT"; do port_free "$port" || die "port $port busy"; done
STAMP=$(date +%Y%m%d-%H%M%S)
RES=$TOP/bench/results/fair-$STAMP
mkdir -p "$RES/raw"
BW=$(mktemp -d "${TMPDIR:-/tmp}/jc-fair.XXXXXX")
setup_paths
PEER2_BASE="http://127.0.0.1:$PEER2_PORT"
finish() {
  local rc=$?
  trap - EXIT INT TERM
  bench_cleanup
  mkdir -p "$RES/logs"
  cp "$BW"/peer*/logs/error.log "$RES/logs/" 2>/dev/null || true
  rm -rf "$BW"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM
setup_all 1

# the second peer: same site, own port/run dir, EnableMMAP On
P2=$BW/peer2
mkdir -p "$P2"/{conf,run,logs}
chown "$RUN_USER:$RUN_USER" "$P2/run"
PEER2_CONF=$P2/conf/httpd.conf
sed -e "s#^Listen 127.0.0.1:$PEER_PORT#Listen 127.0.0.1:$PEER2_PORT#" \
    -e "s#$BW/peer/run#$P2/run#g" -e "s#$BW/peer/logs#$P2/logs#g" \
    -e "s#^ServerRoot .*#ServerRoot \"$P2\"#" "$PEER_CONF" > "$PEER2_CONF"

fair_wrk() {   # fair_wrk NAME C REP URL [wrk args]
  local name=$1 c=$2 rep=$3 url=$4 out t; shift 4
  t=2; [[ $c -lt 2 ]] && t=1
  out=$RES/raw/$name.c$c.$rep.txt
  sleep 1
  timeout $((WRK_D + 40)) wrk -t"$t" -c"$c" -d"${WRK_D}s" --timeout 30s --latency "$@" "$url" > "$out" 2>&1 \
    || die "wrk failed: $out"
  local rps p99 bad err
  rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
  p99=$(_to_ms "$(awk '$1=="99%"{print $2}' "$out")")
  bad=$(awk -F': ' '/Non-2xx or 3xx/{print $2}' "$out"); bad=${bad:-0}
  err=$(awk '/Socket errors/{gsub(/,/,""); print $4+$6+$8+$10}' "$out"); err=${err:-0}
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$rep" "$rps" "$p99" "$((bad + err))" >> "$RES/fair.tsv"
  log "$name -c$c rep $rep: $rps req/s, p99 $p99 ms, errors $((bad + err))"
}

sess_hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

fair_db() {   # fair_db sqlite|pg
  local db=$1 def=() jc_conf ck pk_ro pk_s60 pk2_ro pk2_s c r
  [[ $db == pg ]] && def=(JC_PG)
  jc_conf=$JC_SQLITE_CONF; [[ $db == pg ]] && jc_conf=$JC_PG_CONF
  apache_start "$PEER_CONF" "$PEER_PORT" NOMMAP "${def[@]}"
  apache_start "$PEER2_CONF" "$PEER2_PORT" "${def[@]}"
  apache_start "$jc_conf" "$JC_PORT"
  ck=$(jc_login)
  pk_ro=$(peer_login); pk_s60=$(peer_login); pk2_ro=$(peer_login); pk2_s=$(peer_login)
  assert_status "$JC_BASE/api/v1/me" 200 -H "Cookie: jc_session=$ck"
  assert_status "$PEER_BASE/s/slide60/static.txt" 200 -H "Cookie: $pk_s60"
  for c in $FAIR_CS; do
    for ((r = 1; r <= REPS; r++)); do
      fair_wrk static-nommap "$c" "$r" "$PEER_BASE/static.txt"
      fair_wrk "jc-me-$db" "$c" "$r" "$JC_BASE/api/v1/me" -H "Cookie: jc_session=$ck"
      fair_wrk "peer-ro-$db" "$c" "$r" "$PEER_BASE/s/site/static.txt" -H "Cookie: $pk_ro"
      fair_wrk "peer-slide60-$db" "$c" "$r" "$PEER_BASE/s/slide60/static.txt" -H "Cookie: $pk_s60"
      fair_wrk static-mmap "$c" "$r" "$PEER2_BASE/static.txt"
      fair_wrk "peer-ro-old-$db" "$c" "$r" "$PEER2_BASE/s/site/static.txt" -H "Cookie: $pk2_ro"
      fair_wrk "peer-slide-old-$db" "$c" "$r" "$PEER2_BASE/s/slide/static.txt" -H "Cookie: $pk2_s"
    done
  done
  apache_stop "$jc_conf"; apache_stop "$PEER2_CONF"; apache_stop "$PEER_CONF"
}

fair_db sqlite
fair_db pg

stat() {  # stat NAME C col(4 rps|5 p99)
  awk -F'\t' -v n="$1" -v c="$2" -v k="$3" '$1==n && $2==c {print $k}' "$RES/fair.tsv" | median
}
errs() { awk -F'\t' -v n="$1" -v c="$2" '$1==n && $2==c {e+=$6} END{print e+0}' "$RES/fair.tsv"; }
summary() {
  local db c n a b
  echo "=== bench/fair.sh $STAMP: wrk -d${WRK_D}s, $REPS interleaved round(s); req/s median / p99 ms / errors ==="
  echo "git $(git -C "$TOP" rev-parse --short HEAD); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
  for db in sqlite pg; do
    echo
    printf '%-22s' "$db"; for c in $FAIR_CS; do printf '%-26s' "-c$c"; done; echo
    for n in "jc-me-$db" static-nommap static-mmap "peer-ro-$db" "peer-slide60-$db" "peer-ro-old-$db" "peer-slide-old-$db"; do
      printf '%-22s' "$n"
      for c in $FAIR_CS; do
        printf '%-26s' "$(printf '%.0f / %.2f / %s' "$(stat "$n" "$c" 4)" "$(stat "$n" "$c" 5)" "$(errs "$n" "$c")")"
      done; echo
    done
    echo "ratios of req/s (module /me / peer):"
    for b in static-nommap static-mmap "peer-ro-$db" "peer-slide60-$db" "peer-ro-old-$db" "peer-slide-old-$db"; do
      printf '  /me / %-20s' "$b"
      for c in $FAIR_CS; do printf '%-8s' "$(ratio "$(stat "jc-me-$db" "$c" 4)" "$(stat "$b" "$c" 4)")"; done; echo
    done
  done
  echo "(old = as bench/run.sh compared before issue 20: peers serving with EnableMMAP On and a sliding"
  echo " peer that writes on every request; fair = EnableMMAP Off, SessionExpiryUpdateInterval 60)"
}
summary | tee "$RES/summary.txt"
