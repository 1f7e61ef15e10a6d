#!/usr/bin/env bash
# The directive table (mod_jobcenter/mod_jobcenter_directives.c, printed by
# build/jc-directives) is the single source: every directive must have its
# section in docs/configuration.md, headed "### `Name SYNTAX`" with the
# table's syntax and saying "Default `DEFAULT`" with the table's default,
# and its line in conf/jobcenter.conf ("#Name DEFAULT"); no other
# directive may be documented or shown. Fails on any disagreement.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
DOC=$TOP/docs/configuration.md
CONF=$TOP/conf/jobcenter.conf
make -s -C "$TOP" build/jc-directives >&2
table=$("$TOP/build/jc-directives")   # fails when a default disagrees
fail=0
n=0
names=
while IFS=$'\t' read -r name syntax dflt where; do
    n=$((n + 1))
    names+="$name"$'\n'
    # the docs' section: from its heading to the next heading
    head=$(grep -E "^### \`$name( |\`)" "$DOC" || true)
    if [[ -z $head ]]; then
        echo "not documented in docs/configuration.md: $name"; fail=1; continue
    fi
    if [[ $head != "### \`$name $syntax\`" ]]; then
        echo "docs/configuration.md heading '$head' differs from the table: $name $syntax"
        fail=1
    fi
    section=$(awk -v h="$head" '$0 == h { on = 1; next } on && /^##/ { exit } on' "$DOC")
    if [[ $dflt != - ]]; then
        grep -qF "Default \`$dflt\`" <<<"$section" || {
            echo "docs/configuration.md does not say Default \`$dflt\` for $name"; fail=1; }
        grep -qxE "[[:space:]]*#?$name $(sed 's/[][\.*^$|?+(){}]/\\&/g' <<<"$dflt")" "$CONF" || {
            echo "conf/jobcenter.conf does not show '#$name $dflt'"; fail=1; }
    else
        grep -qE "^[[:space:]]*#?$name( |$)" "$CONF" || {
            echo "not shown in conf/jobcenter.conf: $name"; fail=1; }
    fi
done <<<"$table"
for d in $(grep -oE '^### `Jobcenter[A-Za-z0-9]+' "$DOC" | tr -d '#` '); do
    grep -qx "$d" <<<"$names" || { echo "documented but not in the directive table: $d"; fail=1; }
done
for d in $(grep -oE '^[[:space:]]*#?Jobcenter[A-Za-z0-9]+' "$CONF" | tr -d '# ' | sort -u); do
    grep -qx "$d" <<<"$names" || { echo "in conf/jobcenter.conf but not in the directive table: $d"; fail=1; }
done
[[ $fail -eq 0 ]] && echo "directives: $n, docs/configuration.md and conf/jobcenter.conf agree with the table"
exit $fail
