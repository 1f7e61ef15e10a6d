# shellcheck shell=bash
# bench/scan.sh -- phase "scan" of bench/run.sh (sourced after upload.sh;
# needs lib.sh, setup.sh, upload.sh, $BW, $RES, $TOP).
#
# What virus scanning costs an upload (issue 18): the same files
# (SCAN_SIZES, MiB: a PDF signature, then random bytes) uploaded through
# the module with JobcenterClamd off and on, interleaved, SCAN_REPS times,
# a fresh server per upload (as phase upload). "on": a clamd started here
# (Debian's clamav-daemon, foreground, the test signature database: the
# EICAR string as .ndb and one .hdb entry; StreamMaxLength, MaxFileSize,
# MaxScanSize raised to SCAN_MAX so that every file is really scanned),
# reached over its unix socket. clamd's cache of clean results (keyed by
# the file's MD5) is off: every rep uploads the same file, and a cache
# hit would measure only the receiving and the hash. Figures: MB/s off and on, the time the
# scan adds per MiB ((on - off) / size), clamd's CPU per MiB (utime +
# stime of the clamd process during the upload) and the module's server
# CPU. clamd receives the whole stream (writes it to its temp file) and
# scans it only after the last chunk, so its scan time adds to the upload
# instead of overlapping with it.
SCAN_SIZES=${SCAN_SIZES:-1 20 100}
SCAN_REPS=${SCAN_REPS:-3}
SCAN_MAX=${SCAN_MAX:-1100M}

SCAN_CLAMD_DIR= SCAN_CLAMD_PID=

scan_clamd_start() {
  local d=$BW/clamd i hex
  SCAN_CLAMD_DIR=$d
  mkdir -p "$d/db" "$d/tmp"
  chmod 755 "$d"
  hex=$(printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' | od -An -v -tx1 | tr -d ' \n')
  printf 'Jobcenter.Test.EICAR:0:*:%s\n' "$hex" > "$d/db/jobcenter-test.ndb"
  printf '44d88612fea8a8f36de82e1278abb02f:68:Jobcenter.Test.EICAR.MD5\n' > "$d/db/jobcenter-test.hdb"
  cat > "$d/clamd.conf" <<CONF
LocalSocket $d/clamd.sock
LocalSocketMode 666
DatabaseDirectory $d/db
TemporaryDirectory $d/tmp
LogFile $d/clamd.log
Foreground true
StreamMaxLength $SCAN_MAX
MaxFileSize $SCAN_MAX
MaxScanSize $SCAN_MAX
ReadTimeout 300
DisableCache yes
CONF
  /usr/sbin/clamd -c "$d/clamd.conf" >/dev/null 2>&1 &
  SCAN_CLAMD_PID=$!
  for ((i = 0; i < 200; i++)); do
    [[ -S $d/clamd.sock ]] && return 0
    kill -0 "$SCAN_CLAMD_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "scan: clamd did not start: $(tail -5 "$d/clamd.log" 2>/dev/null)"
}

scan_clamd_stop() {
  [[ -n $SCAN_CLAMD_PID ]] || return 0
  kill "$SCAN_CLAMD_PID" 2>/dev/null || true
  wait "$SCAN_CLAMD_PID" 2>/dev/null || true
  cp "$SCAN_CLAMD_DIR/clamd.log" "$RES/logs-clamd.log" 2>/dev/null || true
  SCAN_CLAMD_PID=
}

# scan_one off|on SIZE REP: one upload on a fresh server; a row of scan.tsv
scan_one() {
  local mode=$1 s=$2 r=$3 f=$UP_SRC/src-${s}M.bin conf=$UP_JC_ROOT/httpd.conf pidf body draft res code secs
  local c0 c1 a0 a1 ok=ok kids
  [[ $mode == on ]] && conf=$UP_JC_ROOT/httpd-scan.conf
  pidf=$(awk '$1=="PidFile"{print $2}' "$conf")
  apache_start "$conf" "$JC_PORT" 2>/dev/null
  up_login
  body=$(up_api POST /api/v1/uploads/drafts '{"area":"geldleistung"}')
  draft=$(sed -E 's/.*"draft":([0-9]+).*/\1/' <<<"$body")
  [[ $draft =~ ^[0-9]+$ ]] || die "scan: no draft: $body"
  sync
  sleep 0.3
  read -r -a kids <<<"$(up_kids "$pidf")"
  c0=$(up_cpu_ms "${kids[@]}"); a0=$(up_cpu_ms "$SCAN_CLAMD_PID")
  res=$(curl -s -o "$BW/scan-body" --max-time 900 -w '%{http_code} %{time_total}' -X POST -T "$f" \
    -H "Origin: $JC_BASE" -H "Cookie: jc_session=$UP_COOKIE" -H "X-CSRF-Token: $UP_CSRF" \
    -H 'Content-Type: application/octet-stream' "$JC_BASE/api/v1/uploads/files?draft=$draft&name=src-${s}M.pdf")
  c1=$(up_cpu_ms "${kids[@]}"); a1=$(up_cpu_ms "$SCAN_CLAMD_PID")
  read -r code secs <<<"$res"
  body=$(cat "$BW/scan-body")
  [[ $code == 201 && $body == *"\"sha256\":\"$(sha256sum "$f" | cut -d' ' -f1)\""* && $body != *pending* ]] \
    || ok="BAD($body)"
  rm -f "$UP_JC_ROOT"/uploads/files/*
  apache_stop "$conf"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$s" "$r" "$code" "$secs" \
    "$(awk -v b=$((s << 20)) -v t="$secs" 'BEGIN{printf "%.1f", b/t/1e6}')" "$((c1 - c0))" \
    "$([[ $mode == on ]] && echo $((a1 - a0)) || echo 0)" "$ok" >> "$RES/scan.tsv"
  log "scan $mode ${s}MiB #$r: HTTP $code ${secs}s $(tail -1 "$RES/scan.tsv" | cut -f6) MB/s server cpu $((c1 - c0))ms clamd cpu $(tail -1 "$RES/scan.tsv" | cut -f8)ms $ok"
}

phase_scan() {
  log "== phase scan =="
  command -v /usr/sbin/clamd >/dev/null || die "clamd missing: apt-get install -y clamav-daemon"
  local UP_SIZES=$SCAN_SIZES s r m max
  up_setup
  scan_clamd_start
  # the same server with scanning on (the upload limit stays below clamd's)
  max=$(numfmt --from=iec "${SCAN_MAX%B}")
  sed -e "s#^\(.*\)JobcenterUploadMaxFileSize [0-9]*#\1JobcenterUploadMaxFileSize $((max - 1))#" \
    "$UP_JC_ROOT/httpd.conf" > "$UP_JC_ROOT/httpd-scan.conf"
  printf 'JobcenterClamd %s\nJobcenterClamdStreamMax %s\nJobcenterClamdTimeout 600\n' \
    "$SCAN_CLAMD_DIR/clamd.sock" "$max" >> "$UP_JC_ROOT/httpd-scan.conf"
  sed -i "s#^\(.*\)JobcenterUploadMaxFileSize [0-9]*#\1JobcenterUploadMaxFileSize $((max - 1))#" "$UP_JC_ROOT/httpd.conf"
  printf 'mode\tMiB\trep\thttp\tsecs\tMB/s\tserver_cpu_ms\tclamd_cpu_ms\tcheck\n' > "$RES/scan.tsv"
  for s in $SCAN_SIZES; do
    for ((r = 1; r <= SCAN_REPS; r++)); do
      for m in off on; do scan_one "$m" "$s" "$r"; done
    done
  done
  scan_clamd_stop
  cp "$UP_JC_ROOT/logs/error.log" "$RES/logs-jc-scan-error.log" 2>/dev/null || true
  rm -rf "$UP_SRC"
}

scan_stat() { # scan_stat MODE MIB COLUMN med|min|max
  awk -F'\t' -v t="$1" -v s="$2" -v c="$3" '$1==t && $2==s {print $c}' "$RES/scan.tsv" | \
    case $4 in med) median ;; min) minof ;; max) maxof ;; esac
}

scan_summary() {
  local s off on so sn ms cl
  echo
  echo "-- scan: uploads with JobcenterClamd off / on (clamd $(/usr/sbin/clamd --version 2>/dev/null | cut -d/ -f1),"
  echo "   test signatures, unix socket), curl -T, $SCAN_REPS runs each, fresh server per upload: median (min-max) --"
  printf '%-8s %-22s %-22s %-16s %-16s %-14s %s\n' size "MB/s off" "MB/s on" "added ms/MiB" "clamd CPU ms/MiB" \
    "server CPU off" "server CPU on"
  for s in $SCAN_SIZES; do
    off=$(scan_stat off "$s" 5 med); on=$(scan_stat on "$s" 5 med)
    ms=$(awk -v a="$on" -v b="$off" -v n="$s" 'BEGIN{printf "%.1f", (a-b)*1000/n}')
    cl=$(awk -v a="$(scan_stat on "$s" 8 med)" -v n="$s" 'BEGIN{printf "%.1f", a/n}')
    so=$(scan_stat off "$s" 7 med); sn=$(scan_stat on "$s" 7 med)
    printf '%-8s %-22s %-22s %-16s %-16s %-14s %s\n' "${s}MiB" \
      "$(printf '%s (%s-%s)' "$(scan_stat off "$s" 6 med)" "$(scan_stat off "$s" 6 min)" "$(scan_stat off "$s" 6 max)")" \
      "$(printf '%s (%s-%s)' "$(scan_stat on "$s" 6 med)" "$(scan_stat on "$s" 6 min)" "$(scan_stat on "$s" 6 max)")" \
      "$ms" "$cl" "$so" "$sn"
  done
  awk -F'\t' 'NR>1 && $9!="ok"{bad=1} END{exit !bad}' "$RES/scan.tsv" && echo "!! some uploads failed their check (see scan.tsv)"
  echo "(added ms/MiB = (median time on - median time off) / size; clamd CPU = utime+stime of clamd during"
  echo " the upload; clamd stores the whole stream and scans it after the last chunk, so this time is"
  echo " added to the upload: the verdict decides whether the file is committed)"
}
