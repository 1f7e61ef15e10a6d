#!/usr/bin/env bash
# Size rules of the C sources (mod_jobcenter/, admin/): no file over 1,000
# lines, no function body over 80 lines unless the comment directly above the
# function says why in a line containing "Length:". Function bodies are
# recognised by the project's style: "{" and "}" alone at column 0.
# `--self-test` checks that the check catches both.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
MAX_FILE=${MAX_FILE:-1000}
MAX_FN=${MAX_FN:-80}

check() {   # check FILE...
    local bad=0
    awk -v maxf="$MAX_FILE" -v maxfn="$MAX_FN" '
    FNR == 1 { nh = 0; start = 0 }
    { hist[++nh] = $0 }
    /^\{[ \t]*$/ {
        start = FNR; sig = ""; reason = 0
        # walk back over the signature, then over the comment above it
        i = nh - 1
        while (i > 0 && hist[i] !~ /^[ \t]*$/ && hist[i] !~ /\*\/[ \t]*$/ \
               && hist[i] !~ /^[}#]/) { sig = hist[i] " " sig; i-- }
        if (i > 0 && hist[i] ~ /\*\/[ \t]*$/) {
            while (i > 0) {
                if (hist[i] ~ /Length:/) reason = 1
                if (hist[i] ~ /\/\*/) break
                i--
            }
        }
        name = sig; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
        next
    }
    /^\}/ && start {
        n = FNR - start - 1
        if (n > maxfn && !reason) {
            printf "%s:%d: function %s has %d lines (> %d) and no \"Length:\" reason above it\n", \
                   FILENAME, start, name, n, maxfn
            bad = 1
        }
        start = 0
    }
    END { exit bad }' "$@" || bad=1
    local f n
    for f in "$@"; do
        n=$(wc -l <"$f")
        if (( n > MAX_FILE )); then
            echo "$f: $n lines (> $MAX_FILE)"; bad=1
        fi
    done
    return ${bad:-0}
}

if [[ ${1:-} == --self-test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    { echo 'static int'; echo 'f(void)'; echo '{'
      for i in $(seq 1 81); do echo "    x($i);"; done; echo '}'; } >"$tmp/long.c"
    { echo '/* Does things.'; echo ' * Length: one linear protocol exchange. */'
      echo 'static int'; echo 'f(void)'; echo '{'
      for i in $(seq 1 81); do echo "    x($i);"; done; echo '}'; } >"$tmp/reason.c"
    for i in $(seq 1 1001); do echo "int v$i;"; done >"$tmp/big.c"
    check "$tmp/long.c" >/dev/null 2>&1 && { echo "self-test: long function not caught"; exit 1; }
    check "$tmp/reason.c" >/dev/null || { echo "self-test: stated reason not accepted"; exit 1; }
    check "$tmp/big.c" >/dev/null 2>&1 && { echo "self-test: big file not caught"; exit 1; }
    echo "size check self-test: ok"
    exit 0
fi

cd "$TOP"
files=$(ls mod_jobcenter/*.c admin/*.c 2>/dev/null)
check $files
echo "sizes: $(wc -w <<<"$files") C files, none over $MAX_FILE lines, no function over $MAX_FN lines without a stated reason"
