#!/usr/bin/env bash
# apache2 with the AddressSanitizer + UndefinedBehaviorSanitizer build of
# mod_jobcenter (`make asan`). The test harness uses this script instead of
# /usr/sbin/apache2 when JC_ASAN=1 (tests/lib/apache.mjs); it takes the same
# arguments and must see `-f CONF`.
#
# apache2 itself is not instrumented, so the sanitizer runtime the module
# was linked against (read from ldd) is preloaded: ASan has to come first
# in the process's library list, or dlopen of the module aborts. Reports
# go to files DIR/asan/report.PID next to CONF (DIR = dirname CONF, the
# ServerRoot of a test environment); the harness fails the test file on
# any such file (tests/lib/env.mjs logTest) and prints it.
#
#   detect_leaks=0      Apache frees its pools at exit only partly (and a
#                       child killed at stop never does): no leak reports
#   abort_on_error=0    a finding ends the child with exit code 1 (no core)
#   halt_on_error=1     ... on the first finding, UBSan's as well
#
# UBSan reads UBSAN_OPTIONS only at its first finding, from
# /proc/self/environ, which a child that switched from root to www-data
# cannot read (not dumpable): its options would be ignored silently (no
# stack, no halt). CoreDumpDirectory makes httpd set the children dumpable
# again (prctl PR_SET_DUMPABLE); ASan's disable_coredump keeps cores off.
# UBSan ignores log_path here and writes to stderr, i.e. the error.log:
# the harness looks for "runtime error:" there (sanitizerReports).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MOD=${JC_MODULE_SO:-$TOP/build/asan/mod_jobcenter.so}
BIN=/usr/sbin/apache2
[[ -x $BIN ]] || BIN=apache2

conf=
prev=
for a in "$@"; do
    [[ $prev == -f ]] && conf=$a
    prev=$a
done
[[ -n $conf ]] || { echo "apache-asan.sh: no -f CONF among the arguments" >&2; exit 2; }
[[ -f $MOD ]] || { echo "apache-asan.sh: $MOD is missing: run make asan" >&2; exit 2; }

preload=$(ldd "$MOD" | awk '$1 ~ /^lib(asan|ubsan)\.so/ { print $3 }' | sort | tr '\n' ' ')
[[ $preload == *libasan* ]] \
    || { echo "apache-asan.sh: $MOD is not linked against libasan (not a make asan build?)" >&2; exit 2; }

dir=$(dirname "$conf")/asan
mkdir -p "$dir"
chmod 1777 "$dir"   # the children write as www-data

export LD_PRELOAD="$preload"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:log_path=$dir/report${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
exec "$BIN" -C "CoreDumpDirectory $dir" "$@"
