#!/usr/bin/env bash
# Generate a self-contained Apache configuration that runs mod_jobcenter.
# Used by `./build.sh run`, the test harness and bench/. One generator, so
# all of them run the same configuration.
#
#   tools/gen-config.sh --root DIR --port N [options]
#     --root DIR          instance dir: DIR/httpd.conf, DIR/{logs,run,mail,db}
#     --port N            Listen 127.0.0.1:N
#     --listen ADDR       listen address (default 127.0.0.1)
#     --db sqlite|pgsql   database driver (default sqlite)
#     --sqlite-file PATH  SQLite file (default DIR/db/jobcenter.sqlite)
#     --pg-params STR     apr_dbd pgsql params "host=... port=... dbname=... user=..."
#     --mail spool|smtp   transport (default spool, into DIR/mail)
#     --smtp-url URL      relay for --mail smtp
#     --smtp-starttls M   JobcenterSMTPStartTLS for --mail smtp (default off:
#                         the test sink and a local relay offer no TLS)
#     --base-url URL      JobcenterBaseURL (default http://127.0.0.1:PORT)
#     --origin ORIGIN     extra allowed origin (repeatable)
#     --user USER         Apache User (Group: its primary group) when started
#                         as root (default: tools/worker-user.sh, i.e.
#                         www-data, or the checkout's owner when www-data
#                         cannot reach htdocs, e.g. a clone in a 0700 home)
#     --extra FILE        Include FILE at the end (test-specific directives)
#     --set "Directive v" add a directive line to the jobcenter block (repeatable)
#     --upload-store DIR  JobcenterUploadStore (default DIR/uploads); several
#                         nodes of one portal share one store directory
#     --secret-key PATH   JobcenterSecretKeyFile (default DIR/secret.key); a
#                         missing file is created (build/jobcenter-admin
#                         gen-key, mode 0600), except with --site-only
#     --site-only         print only the site part (for debian/gen-site.sh)
#     --audit-log FILE    JobcenterAuditLog (default: logs/ of --root, with
#                         --site-only ${APACHE_LOG_DIR}/jobcenter-audit.log)
#     --start-servers N   child processes at start (default 1: with SQLite,
#                         children opening a fresh WAL database at the same
#                         moment raced on its recovery lock and mod_dbd
#                         failed to prepare: "database is locked")
#     --access-log        write logs/access.log (off: tests and bench measure
#                         request work, not log I/O)
#     --content-dir DIR   the operator's texts of the footer pages (Impressum,
#                         Barrierefreiheit, Leichte Sprache, Gebaerdensprache),
#                         served as /_betreiber/ (default: conf/betreiber, the
#                         shipped examples; docs/configuration.md)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

ROOT= PORT= LISTEN=127.0.0.1 DB=sqlite SQLITE= PGPARAMS= MAIL=spool SMTPURL=
STARTTLS=off BASEURL= USER_= EXTRA= SITEONLY=0 ACCESSLOG=0 STARTSERVERS=1 KEYFILE= STORE=
CONTENT=
ORIGINS=() SETS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --root) ROOT=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --listen) LISTEN=$2; shift 2 ;;
    --db) DB=$2; shift 2 ;;
    --sqlite-file) SQLITE=$2; shift 2 ;;
    --pg-params) PGPARAMS=$2; shift 2 ;;
    --mail) MAIL=$2; shift 2 ;;
    --smtp-url) SMTPURL=$2; shift 2 ;;
    --smtp-starttls) STARTTLS=$2; shift 2 ;;
    --base-url) BASEURL=$2; shift 2 ;;
    --origin) ORIGINS+=("$2"); shift 2 ;;
    --user) USER_=$2; shift 2 ;;
    --extra) EXTRA=$2; shift 2 ;;
    --set) SETS+=("$2"); shift 2 ;;
    --secret-key) KEYFILE=$2; shift 2 ;;
    --upload-store) STORE=$2; shift 2 ;;
    --site-only) SITEONLY=1; shift ;;
    --access-log) ACCESSLOG=1; shift ;;
    --start-servers) STARTSERVERS=$2; shift 2 ;;
    --content-dir) CONTENT=$2; shift 2 ;;
    --audit-log) AUDITLOG=$2; shift 2 ;;
    *) echo "gen-config: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $ROOT && -n $PORT ]] || { echo "gen-config: --root and --port are required" >&2; exit 2; }
ROOT=$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)
: "${SQLITE:=$ROOT/db/jobcenter.sqlite}"
: "${BASEURL:=http://127.0.0.1:$PORT}"
: "${KEYFILE:=$ROOT/secret.key}"
# ServerName = scheme://host[:port] of the base URL: with UseCanonicalName
# On, redirects Apache builds itself (mod_dir's DirectorySlash) name this
# host, never the client's Host header
SERVERNAME=$(sed -E 's#^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+).*#\1#' <<<"$BASEURL")
[[ $SERVERNAME == *://* ]] || { echo "gen-config: --base-url must be scheme://host[:port]" >&2; exit 2; }
: "${STORE:=$ROOT/uploads}"
if [[ -z $USER_ ]]; then
  if [[ $SITEONLY == 1 ]]; then USER_=www-data; else USER_=$("$TOP/tools/worker-user.sh"); fi
fi
GROUP_=$(id -gn "$USER_")
: "${CONTENT:=$TOP/conf/betreiber}"
MODDIR=/usr/lib/apache2/modules
MODSO=${JC_MODULE_SO:-$TOP/build/mod_jobcenter.so}
mkdir -p "$ROOT"/{logs,run,mail,db,uploads}
# the key for secrets at rest (TOTP): read by Apache as root at start-up
if [[ $SITEONLY == 0 && ! -e $KEYFILE ]]; then
  ADMIN=${JC_ADMIN:-$TOP/build/jobcenter-admin}
  [[ -x $ADMIN ]] || { echo "gen-config: $ADMIN is missing: run make first" >&2; exit 1; }
  "$ADMIN" gen-key "$KEYFILE" || { echo "gen-config: cannot create $KEYFILE" >&2; exit 1; }
fi

site() {
  cat <<CONF
# ---- mod_jobcenter site (generated by tools/gen-config.sh) ----
<IfDefine !JC_NO_DBD_SETUP>
CONF
  if [[ $DB == sqlite ]]; then
    cat <<CONF
DBDriver sqlite3
DBDParams "$SQLITE"
# no DBDInitSQL: even "PRAGMA foreign_keys=ON" left every later statement
# failing with "(1) not an error" here; never set busy_timeout (it hangs)
CONF
  else
    cat <<CONF
DBDriver pgsql
DBDParams "$PGPARAMS"
CONF
  fi
  cat <<CONF
DBDPersist On
# DBDMin 0: no connection at child init. mod_dbd prepares every statement
# on a new connection; on SQLite that fails while another process recovers
# the WAL index ("database is locked", AH00632 -> AH00636). The module
# opens the first connection itself and waits that out.
DBDMin 0
DBDKeep 4
DBDMax 25
DBDExptime 3600
</IfDefine>

# Apache hardening (docs/configuration.md, "Apache hardening"); all valid
# in a <VirtualHost> (ServerTokens is main-server only: see below and
# debian/gen-site.sh).
# Slow clients: a request's headers within 20 s, +1 s per 500 bytes, at
# most 40 s; a body within 20 s, +1 s per 1000 bytes, no upper bound (an
# upload of 20 MiB on a link throttled to 32 kbit/s takes ~90 minutes).
# A sender below 1000 bytes/s is cut (408), e.g. 1 byte every few seconds.
RequestReadTimeout handshake=10-30,MinRate=500 header=20-40,MinRate=500 body=20,MinRate=1000
# TRACE would echo the request, HttpOnly session cookie included: 405
TraceEnable Off
# no version in error pages
ServerSignature Off
# self-referential URLs (DirectorySlash redirects) use ServerName (the
# host and port of JobcenterBaseURL), never the client's Host header
UseCanonicalName On

JobcenterEngine On
JobcenterBaseURL $BASEURL
JobcenterOrigin $BASEURL ${ORIGINS[*]:-}
JobcenterMailTransport $MAIL
JobcenterMailSpool "$ROOT/mail"
JobcenterSecretKeyFile "$KEYFILE"
JobcenterUploadStore "$STORE"
CONF
  [[ -n $SMTPURL ]] && echo "JobcenterSMTPURL $SMTPURL"
  [[ $MAIL == smtp ]] && echo "JobcenterSMTPStartTLS $STARTTLS"
  case $BASEURL in
    http://localhost*|http://127.0.0.1*) echo "JobcenterCookieSecure Off" ;;
  esac
  # the audit log (docs/logs.md): --audit-log, else the instance's logs/,
  # an install's Apache log directory (the Debian package: its own
  # /var/log/jobcenter/, rotated by its logrotate file)
  if [[ -n ${AUDITLOG:-} ]]; then
    echo "JobcenterAuditLog \"$AUDITLOG\""
  elif [[ $SITEONLY == 1 ]]; then
    echo 'JobcenterAuditLog ${APACHE_LOG_DIR}/jobcenter-audit.log'
  else
    echo "JobcenterAuditLog \"$ROOT/logs/jobcenter-audit.log\""
  fi
  local s
  for s in "${SETS[@]+"${SETS[@]}"}"; do echo "$s"; done
  cat <<CONF

<Location /api/v1/>
    SetHandler jobcenter-api
</Location>
# the QR link of the Freischaltcode letter: 303 to the page with the code
# in the fragment; its query never reaches the access log
<Location /link/freischaltcode>
    SetHandler jobcenter-link
</Location>

# metrics in the Prometheus text format (docs/operations.md, "Metrics"):
# this host only
<Location /jobcenter-metrics>
    SetHandler jobcenter-metrics
    Require ip 127.0.0.1 ::1
</Location>

# staff pages: the gate with a staff role (admin includes sachbearbeitung)
<Location /sachbearbeitung/>
    AuthType jobcenter
    Require jobcenter-role sachbearbeitung
</Location>

DocumentRoot "$TOP/htdocs"
<Directory "$TOP/htdocs">
    # the page frame (htdocs/_frame/: header, footer, shared blocks) is put
    # together by mod_include (SSI) when a page is served; IncludesNOEXEC:
    # no #exec, no CGI includes (docs/internals.md, "The page frame")
    Options IncludesNOEXEC
    AddOutputFilter INCLUDES .html
    AllowOverride None
    Require all granted
    # pages change with every update and carry no validators after SSI:
    # always fetched anew (no personal data in them: that comes from the
    # API, Cache-Control no-store); the service worker script too
    <FilesMatch "(\.html|^sw\.js)$">
        Header always set Cache-Control no-cache
    </FilesMatch>
    Header always set Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    Header always set X-Content-Type-Options nosniff
    Header always set Referrer-Policy no-referrer
    Header always set X-Frame-Options DENY
</Directory>
# fragments of the frame: only as includes (a subrequest), never a page
<Directory "$TOP/htdocs/_frame">
    <If "%{IS_SUBREQ} != 'true'">
        Redirect 404
    </If>
</Directory>
# the operator's texts of the footer pages (Impressum, Barrierefreiheit,
# Leichte Sprache, Gebaerdensprache): .html only as includes of the pages
# that frame them; other files (a DGS video, pictures) directly
Alias /_betreiber/ "$CONTENT/"
<Directory "$CONTENT">
    Options None
    AllowOverride None
    Require all granted
    <FilesMatch "\.html$">
        <If "%{IS_SUBREQ} != 'true'">
            Redirect 404
        </If>
    </FilesMatch>
    Header always set X-Content-Type-Options nosniff
    Header always set Content-Security-Policy "default-src 'none'; frame-ancestors 'none'"
</Directory>
DirectoryIndex index.html
CONF
}

if [[ $SITEONLY == 1 ]]; then site; exit 0; fi

{
cat <<CONF
# generated by tools/gen-config.sh -- do not edit, re-run the generator
ServerRoot "$ROOT"
ServerName $SERVERNAME
# "Server: Apache", no version or OS (main server only)
ServerTokens Prod
Listen $LISTEN:$PORT
PidFile $ROOT/run/httpd.pid
DefaultRuntimeDir $ROOT/run
Mutex file:$ROOT/run default
ScoreBoardFile $ROOT/run/scoreboard
ErrorLog $ROOT/logs/error.log
LogLevel warn jobcenter:info
$( [[ $ACCESSLOG == 1 ]] && printf 'LogFormat "%%h %%t \\"%%r\\" %%>s %%b %%D" jc\nCustomLog %s/logs/access.log jc' "$ROOT" )
User $USER_
Group $GROUP_

LoadModule mpm_event_module   $MODDIR/mod_mpm_event.so
LoadModule authn_core_module  $MODDIR/mod_authn_core.so
LoadModule authz_core_module  $MODDIR/mod_authz_core.so
LoadModule authz_host_module  $MODDIR/mod_authz_host.so
LoadModule dir_module         $MODDIR/mod_dir.so
LoadModule mime_module        $MODDIR/mod_mime.so
LoadModule include_module     $MODDIR/mod_include.so
LoadModule alias_module       $MODDIR/mod_alias.so
LoadModule headers_module     $MODDIR/mod_headers.so
LoadModule reqtimeout_module  $MODDIR/mod_reqtimeout.so
LoadModule dbd_module         $MODDIR/mod_dbd.so
LoadModule jobcenter_module   $MODSO

StartServers            $STARTSERVERS
ServerLimit             16
ThreadsPerChild         25
MaxRequestWorkers       150
MinSpareThreads         25
MaxSpareThreads         75
KeepAlive               On
MaxKeepAliveRequests    0
KeepAliveTimeout        5
Timeout                 60
TypesConfig /etc/mime.types
AddDefaultCharset utf-8

<Directory />
    AllowOverride None
    Require all denied
</Directory>
CONF
site
[[ -n $EXTRA ]] && echo "Include \"$EXTRA\""
} > "$ROOT/httpd.conf"
echo "$ROOT/httpd.conf"
