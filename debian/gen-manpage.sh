#!/usr/bin/env bash
# Writes the manual page of jobcenter-admin from its own --help text, so
# the two never disagree. Called by debian/rules: gen-manpage.sh ADMIN OUT
set -euo pipefail
admin=$1 out=$2
mkdir -p "$(dirname "$out")"
help=$("$admin" --help 2>&1 || true)
[[ $help == usage:* ]] || { echo "gen-manpage: unexpected --help output" >&2; exit 1; }
{
cat <<'HEAD'
.TH JOBCENTER-ADMIN 8 "" "libapache2-mod-jobcenter" "System Administration"
.SH NAME
jobcenter-admin \- administer the database of mod_jobcenter
.SH DESCRIPTION
.B jobcenter-admin
works on the database of the Apache module mod_jobcenter (the
Jobcenter.Digital portal), like httpd's htdbm: schema, jobcenters, staff,
customers, Freischaltcodes, the upload store and parked mails.
Run as root on a SQLite file owned by another user, it switches to that
user first.
.PP
The Debian package's database is
.IR /var/lib/jobcenter/jobcenter.sqlite
and its key file
.IR /etc/apache2/jobcenter-secret.key .
.SH USAGE
.nf
HEAD
sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" <<<"$help"
cat <<'TAIL'
.fi
.SH SEE ALSO
.BR apache2 (8),
/usr/share/doc/libapache2-mod-jobcenter/install-debian.md
TAIL
} > "$out"
