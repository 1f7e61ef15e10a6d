# shellcheck shell=bash
# bench/upload.sh -- phase "upload" of bench/run.sh (sourced; needs lib.sh,
# setup.sh, $BW, $RES, $TOP).
#
# 1 MiB, 100 MiB and 1 GiB files (UP_SIZES, MiB) uploaded $UP_REPS times
# each over 127.0.0.1 with curl -T:
#   module  POST /api/v1/uploads/files?draft=N (raw body): the JC_UPLOAD
#           input filter sniffs, hashes (SHA-256), writes the temp file,
#           fsyncs and renames; SQLite row. Response checked (201, the
#           sha256 of the file as sha256sum computes it).
#   dav     stock mod_dav + mod_dav_fs PUT into a directory on the same file
#           system (as bench-peers/upload-bench.sh); the copy is compared.
# Apache is started fresh for every upload, so the workers' VmHWM (peak RSS)
# belongs to that upload; idle RSS is read right before it. Then
# `dd conv=fsync` of the same size on the same file system.
# Targets: module MB/s >= 90% of mod_dav's (median, 100 MiB and 1 GiB; 1 MiB
# on a fresh server is printed for reference) and peak RSS growth
# (VmHWM - idle VmRSS) < 8 MiB at 1 GiB.
#
# 1 MiB on warm servers (issue 18, up_small): UP_SMALL_ROUNDS rounds, each
# with, per target, a serial batch (UP_SERIAL_N uploads by one curl over one
# keep-alive connection; MB/s from the sum of the transfers' times) and a
# concurrent batch (UP_CONC_N uploads by one curl -Z with UP_CONC transfers
# at a time; aggregate MB/s from the batch's wall time). Targets:
#   module    as above (a draft per batch, JobcenterUploadMaxFiles 500)
#   ddav      the durable peer: the same mod_dav PUT, plus BENCH_FSYNC
#             (bench/mod_bench_fsync.c, built here with apxs), an output
#             filter that fsyncs the stored file and then its directory
#             before the response leaves (mod_dav_fs renames its temp file
#             into place before it answers)
#   dav       stock mod_dav PUT, waits for no device
# Targets: serial module / ddav >= 0.90 (dav printed for reference);
# concurrent module / dav >= 0.90 (ddav printed for reference).
UP_SIZES=${UP_SIZES:-1 100 1024}
UP_REPS=${UP_REPS:-3}
UP_PORT=${UP_PORT:-18485}        # the mod_dav peer
UP_DIRECTIO=${UP_DIRECTIO:-On}   # JobcenterUploadDirectIO of the module
# 1 MiB on warm servers (issue 18): rounds of a serial batch (one client,
# keep-alive) and a concurrent batch per target, interleaved
UP_SMALL_ROUNDS=${UP_SMALL_ROUNDS:-7}
UP_SERIAL_N=${UP_SERIAL_N:-40}   # uploads of one serial batch
UP_CONC=${UP_CONC:-16}           # clients of a concurrent batch
UP_CONC_N=${UP_CONC_N:-160}      # uploads of one concurrent batch
UP_PARTS=" ${UP_PARTS:-small big} " # small: up_small; big: fresh server per upload

UP_JC_ROOT= UP_DAV_ROOT= UP_SRC= UP_COOKIE= UP_CSRF=

up_setup() {
  UP_JC_ROOT=$BW/jc-up; UP_DAV_ROOT=$BW/dav; UP_SRC=$BW/up-src
  mkdir -p "$UP_JC_ROOT" "$UP_DAV_ROOT"/{conf,run,logs,htdocs/dav,htdocs/ddav,lock,mod} "$UP_SRC"
  chmod 755 "$UP_JC_ROOT" "$UP_DAV_ROOT" "$UP_DAV_ROOT/htdocs"
  # module: SQLite, upload limits above 1 GiB, no LimitRequestBody
  cat > "$BW/jc-up-extra.conf" <<CONF
<Location /api/v1/>
    LimitRequestBody 0
</Location>
CONF
  "$TOP/tools/gen-config.sh" --start-servers 2 --root "$UP_JC_ROOT" --port "$JC_PORT" --db sqlite \
    --user "$RUN_USER" --extra "$BW/jc-up-extra.conf" \
    --set "JobcenterUploadMaxFileSize 2147483648" --set "JobcenterUploadMaxBytesPerDay 1099511627776" \
    --set "JobcenterUploadDirectIO $UP_DIRECTIO" --set "JobcenterUploadMaxFiles 500" >/dev/null
  local db=$UP_JC_ROOT/db/jobcenter.sqlite now
  "$TOP/tools/db-init.sh" sqlite "$db"
  now=$(date +%s)
  sqlite3 -bail "$db" <<SQL
INSERT INTO account (email, password_hash, email_confirmed_at, terms_accepted_at,
    email_consent_at, created_at, updated_at)
  VALUES ('$JC_LOGIN', '$JC_HASH', $now, $now, $now, $now, $now);
INSERT INTO jobcenter (name, street, postcode, city, phone, opening_hours, created_at)
  VALUES ('Jobcenter Bench', 'Bankstraße 1', '10115', 'Berlin', '030 1', 'Mo-Fr', $now);
INSERT INTO customer (jobcenter_id, kundennummer, given_name, family_name, birth_date,
    street, postcode, city, account_id, bound_at, created_by, created_at)
  VALUES (1, '123A123456', 'Erika', 'Bench', '1980-01-01', 'Weg 1', '10115', 'Berlin', 1, $now, 1, $now);
-- uploads need active Online-Kommunikation
INSERT INTO online_consent (account_id, active_since, text_version, updated_at)
  VALUES (1, $now, 'bench', $now);
SQL
  chown -R "$RUN_USER:$RUN_USER" "$UP_JC_ROOT"/{db,mail,run,logs,uploads}
  # stock mod_dav PUT peer (same MPM sizing)
  chown -R "$RUN_USER:$RUN_USER" "$UP_DAV_ROOT"/{run,logs,htdocs/dav,htdocs/ddav,lock}
  # the durable peer's filter (bench/mod_bench_fsync.c)
  cp "$HERE/mod_bench_fsync.c" "$UP_DAV_ROOT/mod/"
  (cd "$UP_DAV_ROOT/mod" && apxs -c -o mod_bench_fsync.la -Wc,-Wall -Wc,-Wextra -Wc,-Werror \
    mod_bench_fsync.c >apxs.log 2>&1) || die "upload: mod_bench_fsync does not build: $(cat "$UP_DAV_ROOT/mod/apxs.log")"
  cat > "$UP_DAV_ROOT/conf/httpd.conf" <<CONF
ServerRoot "$UP_DAV_ROOT"
ServerName 127.0.0.1
Listen 127.0.0.1:$UP_PORT
PidFile $UP_DAV_ROOT/run/httpd.pid
DefaultRuntimeDir $UP_DAV_ROOT/run
Mutex file:$UP_DAV_ROOT/run default
ScoreBoardFile $UP_DAV_ROOT/run/scoreboard
ErrorLog $UP_DAV_ROOT/logs/error.log
LogLevel warn
User $RUN_USER
Group $RUN_USER
LoadModule mpm_event_module  $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule dav_module        $MODDIR/mod_dav.so
LoadModule dav_fs_module     $MODDIR/mod_dav_fs.so
LoadModule bench_fsync_module $UP_DAV_ROOT/mod/.libs/mod_bench_fsync.so
StartServers 2
ServerLimit 16
ThreadsPerChild 25
MaxRequestWorkers 150
MinSpareThreads 25
MaxSpareThreads 75
KeepAlive On
Timeout 600
DAVLockDB $UP_DAV_ROOT/lock/DAVLock
DocumentRoot "$UP_DAV_ROOT/htdocs"
<Directory />
    Require all denied
</Directory>
<Directory "$UP_DAV_ROOT/htdocs">
    Require all granted
</Directory>
<Location /dav/>
    Dav On
    LimitRequestBody 0
</Location>
# the durable peer: the same PUT, file and directory fsynced before the answer
<Location /ddav/>
    Dav On
    LimitRequestBody 0
    SetOutputFilter BENCH_FSYNC
</Location>
CONF
  local s
  for s in $UP_SIZES; do
    # a PDF signature (the module sniffs the type), then random bytes
    { printf '%%PDF-1.7\n'; head -c $(((s << 20) - 9)) /dev/urandom; } > "$UP_SRC/src-${s}M.bin"
  done
  log "upload: sources $(du -sh "$UP_SRC" | cut -f1) under $UP_SRC ($(df --output=source "$BW" | tail -1))"
}

# children of the Apache whose pid file is $1
up_kids() { local pid; pid=$(cat "$1"); pgrep -P "$pid" | tr '\n' ' '; }
up_cpu_ms() { # utime+stime of PIDS in ms (all their threads)
  local p t=0 a
  for p in "$@"; do read -r -a a < "/proc/$p/stat" || continue; t=$((t + a[13] + a[14])); done
  echo $((t * 1000 / $(getconf CLK_TCK)))
}
up_rss() { # up_rss FIELD PIDS... -> max of FIELD (kB)
  local f=$1 p k v _ max=0; shift
  for p in "$@"; do
    while read -r k v _; do [[ $k == "$f:" ]] && ((v > max)) && max=$v; done < "/proc/$p/status" 2>/dev/null || true
  done
  echo "$max"
}

# module login: session cookie and CSRF token, the session made
# "authenticated" directly in the bench database (no TOTP here)
up_login() {
  local out
  out=$(curl -s -D "$BW/up-login.h" --max-time 30 -H "Origin: $JC_BASE" -H 'Content-Type: application/json' \
    --data-binary "@$BW/login.json" "$JC_BASE/api/v1/login")
  UP_COOKIE=$(grep -i '^set-cookie: *jc_session=' "$BW/up-login.h" | head -1 \
    | sed -E 's/^[Ss]et-[Cc]ookie: *jc_session=([^;]*).*/\1/' | tr -d '\r')
  UP_CSRF=$(sed -E 's/.*"csrf_token":"([^"]*)".*/\1/' <<<"$out")
  [[ -n $UP_COOKIE && -n $UP_CSRF ]] || die "upload: module login failed: $out"
  runuser -u "$RUN_USER" -- sqlite3 "$UP_JC_ROOT/db/jobcenter.sqlite" \
    "UPDATE session SET state = 6 WHERE id_hash = '$(printf '%s' "$UP_COOKIE" | sha256sum | cut -d' ' -f1)'"
}

up_api() { # up_api METHOD PATH [JSON]
  curl -s --max-time 30 -X "$1" -H "Origin: $JC_BASE" -H "Cookie: jc_session=$UP_COOKIE" \
    -H "X-CSRF-Token: $UP_CSRF" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$JC_BASE$2"
}

# up_one TARGET SIZE REP: one upload on a fresh server; appends a row to upload.tsv
up_one() {
  local t=$1 s=$2 r=$3 f=$UP_SRC/src-${s}M.bin conf pidf port url kids idle hwm res code secs ok draft body ccpu
  local TIMEFORMAT='%3U %3S'
  if [[ $t == module ]]; then conf=$UP_JC_ROOT/httpd.conf; port=$JC_PORT; else conf=$UP_DAV_ROOT/conf/httpd.conf; port=$UP_PORT; fi
  pidf=$(awk '$1=="PidFile"{print $2}' "$conf")
  apache_start "$conf" "$port" 2>/dev/null
  if [[ $t == module ]]; then
    up_login
    body=$(up_api POST /api/v1/uploads/drafts '{"area":"geldleistung"}')
    draft=$(sed -E 's/.*"draft":([0-9]+).*/\1/' <<<"$body")
    [[ $draft =~ ^[0-9]+$ ]] || die "upload: no draft: $body"
    url="$JC_BASE/api/v1/uploads/files?draft=$draft&name=src-${s}M.bin"
  else
    curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$UP_PORT/" || true
    url="http://127.0.0.1:$UP_PORT/dav/put-${s}M.bin"
  fi
  # the previous upload's file was removed just before: let its journal
  # commit and discards (/ is mounted with "discard") finish now, not inside
  # this upload's fsyncs; both targets start from the same quiet disk
  sync
  sleep 0.3
  read -r -a kids <<<"$(up_kids "$pidf")"
  local -A idle_of=()
  local p g best=-1
  for p in "${kids[@]}"; do idle_of[$p]=$(up_rss VmRSS "$p"); done
  local c0 c1
  c0=$(up_cpu_ms "${kids[@]}")
  if [[ $t == module ]]; then
    res=$( { time curl -s -o "$BW/up-body" --max-time 900 -w '%{http_code} %{time_total}' -X POST -T "$f" \
      -H "Origin: $JC_BASE" -H "Cookie: jc_session=$UP_COOKIE" -H "X-CSRF-Token: $UP_CSRF" \
      -H 'Content-Type: application/octet-stream' "$url"; } 2>"$BW/up-time")
  else
    res=$( { time curl -s -o /dev/null --max-time 900 -w '%{http_code} %{time_total}' -T "$f" "$url"; } \
      2>"$BW/up-time")
  fi
  # the client's CPU (user + sys of curl, bash's `time`): curl shares the
  # two cores with the server
  ccpu=$(tail -1 "$BW/up-time" | awk '{printf "%d", ($1 + $2) * 1000}')
  c1=$(up_cpu_ms "${kids[@]}")
  # the worker that grew most (the one that took the upload): its idle
  # VmRSS and its VmHWM
  for p in "${kids[@]}"; do
    g=$(( $(up_rss VmHWM "$p") - ${idle_of[$p]} ))
    if ((g > best)); then best=$g; idle=${idle_of[$p]}; hwm=$(up_rss VmHWM "$p"); fi
  done
  read -r code secs <<<"$res"
  ok=ok
  if [[ $t == module ]]; then
    body=$(cat "$BW/up-body")
    [[ $code == 201 && $body == *"\"sha256\":\"$(sha256sum "$f" | cut -d' ' -f1)\""* ]] || ok="BAD($body)"
    rm -f "$UP_JC_ROOT"/uploads/files/*
  else
    [[ $code == 201 || $code == 204 ]] && cmp -s "$f" "$UP_DAV_ROOT/htdocs/dav/put-${s}M.bin" || ok=MISMATCH
    rm -f "$UP_DAV_ROOT/htdocs/dav/put-${s}M.bin"
  fi
  apache_stop "$conf"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$s" "$r" "$code" "$secs" \
    "$(awk -v b=$((s << 20)) -v t="$secs" 'BEGIN{printf "%.1f", b/t/1e6}')" "$idle" "$hwm" "$ok" "$((c1 - c0))" \
    "$ccpu" >> "$RES/upload.tsv"
  log "upload $t ${s}MiB #$r: HTTP $code ${secs}s $(tail -1 "$RES/upload.tsv" | cut -f6) MB/s idle ${idle}kB hwm ${hwm}kB cpu $((c1 - c0))ms client cpu ${ccpu}ms $ok"
}

up_dd() {
  local s=$1 r t0 t1
  for ((r = 1; r <= UP_REPS; r++)); do
    rm -f "$BW/dd.out"; sync
    t0=$(date +%s.%N)
    dd if="$UP_SRC/src-${s}M.bin" of="$BW/dd.out" bs=1M conv=fsync status=none
    t1=$(date +%s.%N)
    printf 'dd\t%s\t%s\t-\t%s\t%s\t-\t-\tok\t-\t-\n' "$s" "$r" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" \
      "$(awk -v a="$t0" -v b="$t1" -v n=$((s << 20)) 'BEGIN{printf "%.1f", n/(b-a)/1e6}')" >> "$RES/upload.tsv"
  done
  rm -f "$BW/dd.out"
}

# ---- 1 MiB on warm servers: serial and concurrent batches (issue 18) --------

# up_batch TARGET serial|conc ROUND: one batch against the running servers;
# appends a row to upload-small.tsv
up_batch() {
  local t=$1 mode=$2 r=$3 f=$UP_SRC/src-1M.bin n out url draft body t0 t1 wall sumt codes bad=0 c
  out=$BW/up-batch; rm -rf "$out"; mkdir -p "$out"
  if [[ $mode == serial ]]; then n=$UP_SERIAL_N; else n=$UP_CONC_N; fi
  local par=(); [[ $mode == conc ]] && par=(-Z --parallel-max "$UP_CONC")
  if [[ $t == module ]]; then
    body=$(up_api POST /api/v1/uploads/drafts '{"area":"geldleistung"}')
    draft=$(sed -E 's/.*"draft":([0-9]+).*/\1/' <<<"$body")
    [[ $draft =~ ^[0-9]+$ ]] || die "upload: no draft: $body"
    url="$JC_BASE/api/v1/uploads/files?draft=$draft&name=f[1-$n].pdf"
  else
    url="http://127.0.0.1:$UP_PORT/$t/b$r-$mode-[1-$n].bin"
  fi
  sync; sleep 0.3
  # flush counts of the target's workers during the batch (perf tracepoints,
  # if perf is there): fsync = files + directories, fdatasync = SQLite WAL
  local perfpid= kids pidf
  if [[ $t == module ]]; then pidf=$UP_JC_ROOT/run/httpd.pid; else pidf=$UP_DAV_ROOT/run/httpd.pid; fi
  kids=$(up_kids "$pidf" | tr ' ' ',' | sed 's/,$//')
  if [[ -n $UP_PERF && -n $kids ]]; then
    perf stat -x, -o "$out.perf" -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_rename \
      -p "$kids" 2>/dev/null &
    perfpid=$!
    sleep 0.2
  fi
  local c0 ckids
  read -r -a ckids <<<"$(up_kids "$pidf")"
  c0=$(up_cpu_ms "${ckids[@]}")
  t0=$(date +%s.%N)
  if [[ $t == module ]]; then
    curl -s "${par[@]}" --max-time 300 -w '%{http_code} %{time_total}\n' -o "$out/#1" -X POST -T "$f" \
      -H "Origin: $JC_BASE" -H "Cookie: jc_session=$UP_COOKIE" -H "X-CSRF-Token: $UP_CSRF" \
      -H 'Content-Type: application/octet-stream' "$url" > "$out.w" 2>"$out.e" || true
  else
    curl -s "${par[@]}" --max-time 300 -w '%{http_code} %{time_total}\n' -o "$out/#1" -T "$f" "$url" \
      > "$out.w" 2>"$out.e" || true
  fi
  t1=$(date +%s.%N)
  local cpu=$(( $(up_cpu_ms "${ckids[@]}") - c0 ))
  local fs=- fds=- rn=-
  if [[ -n $perfpid ]]; then
    kill -INT "$perfpid" 2>/dev/null || true
    wait "$perfpid" 2>/dev/null || true
    fs=$(awk -F, '$3=="syscalls:sys_enter_fsync"{print $1}' "$out.perf")
    fds=$(awk -F, '$3=="syscalls:sys_enter_fdatasync"{print $1}' "$out.perf")
    rn=$(awk -F, '$3=="syscalls:sys_enter_rename"{print $1}' "$out.perf")
  fi
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
  sumt=$(awk '{s+=$2} END{printf "%.3f", s}' "$out.w")
  codes=$(awk '{print $1}' "$out.w" | sort | uniq -c | awk '{printf "%s%sx%s", (NR>1?",":""), $2, $1}')
  # every transfer answered 201 (module: with the file's SHA-256)
  [[ $(awk '$1==201' "$out.w" | wc -l) == "$n" ]] || bad=1
  if [[ $t == module && $bad == 0 ]]; then
    local sha; sha=$(sha256sum "$f" | cut -d' ' -f1)
    c=$(grep -l "\"sha256\":\"$sha\"" "$out"/* 2>/dev/null | wc -l)
    [[ $c == "$n" ]] || bad=1
    [[ $(ls "$UP_JC_ROOT/uploads/files" | wc -l) == "$n" ]] || bad=1
    rm -f "$UP_JC_ROOT"/uploads/files/*
  elif [[ $t != module ]]; then
    [[ $(ls "$UP_DAV_ROOT/htdocs/$t" | wc -l) == "$n" ]] || bad=1
    cmp -s "$f" "$UP_DAV_ROOT/htdocs/$t/b$r-$mode-1.bin" || bad=1
    rm -f "$UP_DAV_ROOT/htdocs/$t"/*
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$mode" "$r" "$n" "$wall" "$sumt" \
    "$(awk -v n="$n" -v w="$wall" -v s="$sumt" -v m="$mode" 'BEGIN{printf "%.1f", n*1048576/((m=="serial")?s:w)/1e6}')" \
    "$codes" "$([[ $bad == 0 ]] && echo ok || echo BAD)" "$fs" "$fds" "$rn" "$cpu" >> "$RES/upload-small.tsv"
  log "upload 1MiB $mode $t #$r: $n uploads, wall ${wall}s, sum of transfer times ${sumt}s, $(tail -1 "$RES/upload-small.tsv" | cut -f7) MB/s, $codes $(tail -1 "$RES/upload-small.tsv" | cut -f9); fsync $fs fdatasync $fds rename $rn; server CPU ${cpu} ms"
  rm -rf "$out" "$out.w" "$out.e" "$out.perf"
}

up_small() {
  local r m t
  printf 'target\tmode\tround\tuploads\twall_s\tsum_transfer_s\tMB/s\tcodes\tcheck\tfsync\tfdatasync\trename\tserver_cpu_ms\n' \
    > "$RES/upload-small.tsv"
  UP_PERF=; command -v perf >/dev/null && perf stat -e syscalls:sys_enter_fsync true >/dev/null 2>&1 && UP_PERF=1
  apache_start "$UP_JC_ROOT/httpd.conf" "$JC_PORT" 2>/dev/null
  apache_start "$UP_DAV_ROOT/conf/httpd.conf" "$UP_PORT" 2>/dev/null
  up_login
  # warm up both servers (children, DB connections, page cache of the source)
  up_batch module conc 0; up_batch dav conc 0; up_batch ddav conc 0
  : > "$RES/upload-small-bg.txt"
  for ((r = 1; r <= UP_SMALL_ROUNDS; r++)); do
    bg_busy 0.5 >> "$RES/upload-small-bg.txt"   # other users of the machine
    for m in serial conc; do
      # the order rotates from round to round: none of the targets always
      # runs first after the pause (or last, on a warmer machine)
      case $((r % 3)) in
        1) for t in module ddav dav; do up_batch "$t" "$m" "$r"; done ;;
        2) for t in ddav dav module; do up_batch "$t" "$m" "$r"; done ;;
        0) for t in dav module ddav; do up_batch "$t" "$m" "$r"; done ;;
      esac
    done
  done
  apache_stop "$UP_DAV_ROOT/conf/httpd.conf"
  apache_stop "$UP_JC_ROOT/httpd.conf"
}

phase_upload() {
  log "== phase upload =="
  [[ " $UP_SIZES " == *" 1 "* ]] || UP_SIZES="1 $UP_SIZES"   # up_small needs src-1M.bin
  up_setup
  [[ " $UP_PARTS " != *" small "* ]] || up_small
  [[ " $UP_PARTS " == *" big "* ]] || { up_finish; return 0; }
  printf 'target\tMiB\trep\thttp\tsecs\tMB/s\tidle_rss_kB\tvmhwm_kB\tcheck\tserver_cpu_ms\tclient_cpu_ms\n' > "$RES/upload.tsv"
  local s r t
  for s in $UP_SIZES; do
    for ((r = 1; r <= UP_REPS; r++)); do
      for t in module dav; do up_one "$t" "$s" "$r"; done     # interleaved: same disk state
    done
    up_dd "$s"
  done
  up_finish
}

up_finish() {
  cp "$UP_DAV_ROOT/logs/error.log" "$RES/logs-dav-error.log" 2>/dev/null || true
  cp "$UP_JC_ROOT/logs/error.log" "$RES/logs-jc-up-error.log" 2>/dev/null || true
  rm -rf "$UP_SRC"
}

up_stat() { # up_stat TARGET MIB COLUMN med|min|max
  awk -F'\t' -v t="$1" -v s="$2" -v c="$3" '$1==t && $2==s {print $c}' "$RES/upload.tsv" | \
    case $4 in med) median ;; min) minof ;; max) maxof ;; esac
}

up_sstat() { # up_sstat TARGET MODE med|min|max -> MB/s over the rounds (round 0 = warm-up)
  awk -F'\t' -v t="$1" -v m="$2" 'NR>1 && $1==t && $2==m && $3>0 {print $7}' "$RES/upload-small.tsv" | \
    case $3 in med) median ;; min) minof ;; max) maxof ;; esac
}

up_sper() { # up_sper TARGET MODE COLUMN -> median of COLUMN / uploads over the rounds
  awk -F'\t' -v t="$1" -v m="$2" -v c="$3" 'NR>1 && $1==t && $2==m && $3>0 && $c!="-" && $c!="" {printf "%.3f\n", $c/$4}' \
    "$RES/upload-small.tsv" | median | sed 's/^NA$/-/'
}

up_pair() { # up_pair MODE A B -> median over the rounds of A's MB/s / B's MB/s in the same round
  awk -F'\t' -v m="$1" -v a="$2" -v b="$3" 'NR>1 && $2==m && $3>0 {v[$1" "$3]=$7; if ($3>n) n=$3}
    END{for (r=1; r<=n; r++) if (v[b" "r] > 0) printf "%.3f\n", v[a" "r]/v[b" "r]}' "$RES/upload-small.tsv" | median
}

upload_small_summary() {
  local m t r
  echo
  echo "-- 4a. 1 MiB uploads on warm servers ($UP_SMALL_ROUNDS rounds, interleaved; MB/s median (min-max)):"
  echo "   serial: $UP_SERIAL_N uploads by one curl over one keep-alive connection (MB/s from the sum of transfer times);"
  echo "   concurrent: $UP_CONC_N uploads by curl -Z, $UP_CONC at a time (aggregate MB/s from the batch's wall time);"
  echo "   CPU busy by others before the rounds (bg%): $(tr '\n' ' ' < "$RES/upload-small-bg.txt" 2>/dev/null)--"
  printf '%-12s %-8s %-22s %-10s %-14s %s\n' mode target "MB/s" "ms/upload" "CPU ms/upload" \
    "per upload: fsync fdatasync (medians)"
  for m in serial conc; do
    for t in module ddav dav; do
      printf '%-12s %-8s %-22s %-10s %-14s %s\n' "$m" "$t" \
        "$(printf '%s (%s-%s)' "$(up_sstat "$t" "$m" med)" "$(up_sstat "$t" "$m" min)" "$(up_sstat "$t" "$m" max)")" \
        "$(awk -v v="$(up_sstat "$t" "$m" med)" 'BEGIN{ if (v+0 > 0) printf "%.2f", 1048.576/v; else print "NA" }')" \
        "$(up_sper "$t" "$m" 13)" "$(up_sper "$t" "$m" 10) $(up_sper "$t" "$m" 11)"
    done
  done
  echo "(fsync per upload: the module's file fsync is 1, the rest are fsyncs of files/ (shared by the threads"
  echo " of a child, jc_gsync); fdatasync: SQLite WAL commits (rows of concurrent uploads share one, jc_gbatch);"
  echo " counted with perf tracepoints on the workers, '-' without perf; CPU: utime+stime of the workers)"
  awk -F'\t' 'NR>1 && $9!="ok"{bad=1} END{exit !bad}' "$RES/upload-small.tsv" && echo "!! some batches failed their check (see upload-small.tsv)"
  echo "(module: POST /api/v1/uploads/files, SHA-256, file fsync, rename, directory fsync, row committed before 201;"
  echo " ddav: mod_dav PUT + BENCH_FSYNC (bench/mod_bench_fsync.c: fsync of the file, then of its directory, before"
  echo " the response); dav: stock mod_dav PUT, no fsync)"
  echo
  echo "ratios (median of the rounds' own ratios; in brackets: ratio of the medians)   ratio          target   verdict"
  local p
  r=$(ratio "$(up_sstat module serial med)" "$(up_sstat ddav serial med)"); p=$(ratio "$(up_pair serial module ddav)" 1)
  printf '%-74s %5s (%4s)   %-7s  %s\n' "1 MiB serial: module / durable mod_dav (ddav)" "$p" "$r" ">=0.90" "$(verdict "$p" ge 0.90)"
  r=$(ratio "$(up_sstat module serial med)" "$(up_sstat dav serial med)"); p=$(ratio "$(up_pair serial module dav)" 1)
  printf '%-74s %5s (%4s)   %-7s  %s\n' "1 MiB serial: module / raw mod_dav (reference)" "$p" "$r" "-" "-"
  r=$(ratio "$(up_sstat module conc med)" "$(up_sstat dav conc med)"); p=$(ratio "$(up_pair conc module dav)" 1)
  printf '%-74s %5s (%4s)   %-7s  %s\n' "1 MiB x$UP_CONC concurrent: module / raw mod_dav (aggregate MB/s)" "$p" "$r" ">=0.90" "$(verdict "$p" ge 0.90)"
  r=$(ratio "$(up_sstat module conc med)" "$(up_sstat ddav conc med)"); p=$(ratio "$(up_pair conc module ddav)" 1)
  printf '%-74s %5s (%4s)   %-7s  %s\n' "1 MiB x$UP_CONC concurrent: module / ddav (reference)" "$p" "$r" "-" "-"
  echo "(a round runs the three targets back to back, in an order that rotates, so its own ratio compares"
  echo " them under the same background load; bg% above about 5 means that round was disturbed)"
}

upload_summary() {
  local s m d r g
  [[ -s $RES/upload-small.tsv ]] && upload_small_summary
  [[ -s $RES/upload.tsv ]] || return 0
  echo
  echo "-- 4. uploads (curl -T over 127.0.0.1, $UP_REPS runs each, fresh server per upload: median (min-max);"
  echo "   module with JobcenterUploadDirectIO $UP_DIRECTIO) --"
  printf '%-8s %-8s %-22s %-12s %-22s %-10s %-14s %s\n' size target "MB/s" "idle RSS kB" "VmHWM kB" "growth kB" "server CPU ms" \
    "client CPU ms"
  for s in $UP_SIZES; do
    for t in module dav; do
      g=$(awk -F'\t' -v t="$t" -v s="$s" '$1==t && $2==s {print $8-$7}' "$RES/upload.tsv" | median)
      printf '%-8s %-8s %-22s %-12s %-22s %-10s %-14s %s\n' "${s}MiB" "$t" \
        "$(printf '%s (%s-%s)' "$(up_stat "$t" "$s" 6 med)" "$(up_stat "$t" "$s" 6 min)" "$(up_stat "$t" "$s" 6 max)")" \
        "$(up_stat "$t" "$s" 7 med)" "$(printf '%s (%s-%s)' "$(up_stat "$t" "$s" 8 med)" "$(up_stat "$t" "$s" 8 min)" "$(up_stat "$t" "$s" 8 max)")" "$g" \
        "$(up_stat "$t" "$s" 10 med)" "$(up_stat "$t" "$s" 11 med)"
    done
    printf '%-8s %-8s %-22s\n' "${s}MiB" "dd fsync" \
      "$(printf '%s (%s-%s)' "$(up_stat dd "$s" 6 med)" "$(up_stat dd "$s" 6 min)" "$(up_stat dd "$s" 6 max)")"
  done
  awk -F'\t' 'NR>1 && $9!="ok"{bad=1} END{exit !bad}' "$RES/upload.tsv" && echo "!! some uploads failed their check (see upload.tsv)"
  echo "(growth = VmHWM - idle VmRSS of the worker that took the upload; server CPU = utime+stime of all"
  echo " workers during the upload; client CPU = user+sys of curl; the module also hashes (SHA-256) and"
  echo " fsyncs file and directory, mod_dav does neither; dd fsync includes starting dd)"
  # the floor the hashing sets: SHA-256 of this CPU (OpenSSL EVP, 256 KiB blocks as the hashing ring)
  local sha
  sha=$(openssl speed -evp sha256 -bytes 262144 -seconds 1 2>/dev/null | awk '$1=="sha256"{sub(/k$/,"",$2); printf "%.0f", $2*1000/1e6}')
  [[ -n $sha ]] && echo "SHA-256 (openssl speed -evp sha256, 256 KiB blocks, one core): $sha MB/s = $(awk -v r="$sha" 'BEGIN{printf "%.0f", 1073.741824/r*1000}') ms CPU per GiB"
  echo
  echo "ratios                                                ratio   target   verdict"
  for s in $UP_SIZES; do
    m=$(up_stat module "$s" 6 med); d=$(up_stat dav "$s" 6 med)
    r=$(ratio "$m" "$d")
    if ((s < 100)); then
      # small files: the target is 4a's (durable peer, concurrency); a
      # cold server per upload is printed for reference
      printf '%-52s %6s   %-7s  %s\n' "module / mod_dav PUT MB/s, ${s}MiB (reference, see 4a)" "$r" "-" "-"
    else
      printf '%-52s %6s   %-7s  %s\n' "module / mod_dav PUT MB/s, ${s}MiB" "$r" ">=0.90" "$(verdict "$r" ge 0.90)"
    fi
  done
  s=$(tr ' ' '\n' <<<"$UP_SIZES" | sort -n | tail -1)
  g=$(awk -F'\t' -v s="$s" '$1=="module" && $2==s {print $8-$7}' "$RES/upload.tsv" | maxof)
  printf '%-52s %6s   %-7s  %s\n' "module peak RSS growth at ${s}MiB (max of runs, kB)" "$g" "<8192" "$(verdict "$g" lt 8192)"
}
