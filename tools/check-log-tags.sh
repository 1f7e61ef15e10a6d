#!/usr/bin/env bash
# Every log tag of the code (JCLOG(nnnnn) in mod_jobcenter/ and admin/) must
# have a row "| JCnnnnn |" in docs/logs.md, and every row must name a tag
# the code still has. `--self-test` checks that the check catches both.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

check() {   # check SRC_DIR... -- DOC
    local doc=${!#} code documented fail=0 t
    code=$(grep -rhoE 'JCLOG\([0-9]{5}\)' "${@:1:$#-1}" --include='*.c' \
           | grep -oE '[0-9]{5}' | sort -u)
    documented=$(grep -oE '^\| JC[0-9]{5} \|' "$doc" | grep -oE '[0-9]{5}' \
                 | sort -u)
    for t in $code; do
        grep -qx "$t" <<<"$documented" \
            || { echo "log tag JC$t is not in docs/logs.md"; fail=1; }
    done
    for t in $documented; do
        grep -qx "$t" <<<"$code" \
            || { echo "docs/logs.md lists JC$t, which the code does not log"; fail=1; }
    done
    [[ $fail -eq 0 ]] && echo "log tags: $(wc -w <<<"$code"), all in docs/logs.md"
    return $fail
}

if [[ ${1:-} == --self-test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir "$tmp/src"
    printf 'x(JCLOG(00001) "a"); y(JCLOG(00002) "b");\n' >"$tmp/src/a.c"
    printf '| JC00001 | info |\n| JC00002 | warn |\n' >"$tmp/doc.md"
    check "$tmp/src" "$tmp/doc.md" >/dev/null || { echo "self-test: complete doc refused"; exit 1; }
    printf '| JC00001 | info |\n' >"$tmp/doc.md"
    if check "$tmp/src" "$tmp/doc.md" >/dev/null; then echo "self-test: missing tag not found"; exit 1; fi
    printf '| JC00001 | info |\n| JC00002 | warn |\n| JC00003 | x |\n' >"$tmp/doc.md"
    if check "$tmp/src" "$tmp/doc.md" >/dev/null; then echo "self-test: stale tag not found"; exit 1; fi
    echo "check-log-tags self-test: ok"
    exit 0
fi
check "$TOP/mod_jobcenter" "$TOP/admin" "$TOP/docs/logs.md"
