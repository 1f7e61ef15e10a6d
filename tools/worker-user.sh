#!/usr/bin/env bash
# The user the workers of a development or test Apache run as (User/Group
# of tools/gen-config.sh, `./build.sh run`, tests/lib). Prints the user
# name; with --why, one sentence that says why (build.sh prints it).
#
#   tools/worker-user.sh [--why] [CHECKOUT]     (CHECKOUT: default this one)
#
# 1. JC_WORKER_USER, if set.
# 2. Not root: the invoking user (Apache ignores User/Group then).
# 3. Root and www-data can read CHECKOUT/htdocs (every directory on the
#    way searchable): www-data, as on an installed Debian Apache.
# 4. Root and www-data cannot (a clone in a home directory of mode 0700,
#    Debian 12's default): the owner of the checkout. Nothing's
#    permissions change; the dev server's workers get exactly the rights
#    of the person who cloned the repository, on 127.0.0.1 only.
# 5. A root-owned checkout www-data cannot reach (Apache never runs its
#    workers as root): exit 1 with what to do.
set -euo pipefail
WHY=0
if [[ ${1:-} == --why ]]; then WHY=1; shift; fi
TOP=${1:-$(cd "$(dirname "$0")/.." && pwd)}

out() {   # out USER SENTENCE
    if [[ $WHY == 1 ]]; then printf '%s\n' "$2"; else printf '%s\n' "$1"; fi
}

if [[ -n ${JC_WORKER_USER:-} ]]; then
    id -u "$JC_WORKER_USER" >/dev/null 2>&1 \
        || { echo "worker-user: JC_WORKER_USER=$JC_WORKER_USER: no such user" >&2; exit 1; }
    out "$JC_WORKER_USER" "Apache's workers run as $JC_WORKER_USER (JC_WORKER_USER)."
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    me=$(id -un)
    out "$me" "Apache runs as $me (not started as root)."
    exit 0
fi
if runuser -u www-data -- test -r "$TOP/htdocs/index.html" -a -x "$TOP/htdocs" 2>/dev/null; then
    out www-data "Apache's workers run as www-data."
    exit 0
fi
owner=$(stat -c %U "$TOP")
if [[ $owner != root && $owner != UNKNOWN && $(id -u "$owner" 2>/dev/null || echo 0) -ne 0 ]]; then
    out "$owner" "www-data cannot reach $TOP (a directory on the way, e.g. a home directory of mode 0700, is closed to others), so Apache's workers run as $owner, the owner of this checkout; no permissions were changed."
    exit 0
fi
# the directories on the way that www-data cannot traverse
closed=() d=
IFS=/ read -ra parts <<<"${TOP#/}"
for p in "${parts[@]}" htdocs; do
    d+=/$p
    # others' x bit missing, not www-data's (group membership ignored)
    [[ $(stat -c %U "$d") == www-data ]] || (( 8#$(stat -c %a "$d") & 1 )) \
        || closed+=("$d")
done
cat >&2 <<MSG
worker-user: www-data cannot read $TOP/htdocs and the checkout belongs to
root (Apache never runs its workers as root). Either clone the repository
into a directory www-data can traverse (e.g. /srv, /opt, /usr/local/src),
or name a user that can read it: JC_WORKER_USER=someuser, or allow www-data
to traverse (only "x", no listing) the closed directories on the way:
    setfacl -m u:www-data:x ${closed[*]:-$TOP}     (package acl)
MSG
exit 1
