#!/usr/bin/env bash
# Every directive in the module's command table must be documented in
# docs/configuration.md and shown in conf/jobcenter.conf, and vice versa.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
src=$TOP/mod_jobcenter/mod_jobcenter_config.c
names=$(grep -oE '#define JC_D_[A-Z_0-9]+ +"Jobcenter[A-Za-z0-9]+"' "$src" | grep -oE '"[^"]+"' | tr -d '"' | sort -u)
used=$(grep -oE 'AP_INIT_[A-Z_0-9]+\(JC_D_[A-Z_0-9]+' "$src" | grep -oE 'JC_D_[A-Z_0-9]+' | sort -u | wc -l)
n=$(wc -l <<<"$names")
fail=0
[[ $n -eq $used ]] || { echo "directive macros ($n) and command table entries ($used) differ"; fail=1; }
for d in $names; do
    grep -q "^### \`$d" "$TOP/docs/configuration.md" || { echo "not documented in docs/configuration.md: $d"; fail=1; }
    grep -qE "^\s*#?$d( |$)" "$TOP/conf/jobcenter.conf" || { echo "not shown in conf/jobcenter.conf: $d"; fail=1; }
done
for d in $(grep -oE '^### `Jobcenter[A-Za-z0-9]+' "$TOP/docs/configuration.md" | tr -d '#` '); do
    grep -qx "$d" <<<"$names" || { echo "documented but not a directive: $d"; fail=1; }
done
[[ $fail -eq 0 ]] && echo "directives: $n, all documented and shown in conf/jobcenter.conf"
exit $fail
