#!/usr/bin/env bash
# mod_jobcenter: one entry point for newcomers, CI and admins.
#
#   ./build.sh run      install missing Debian packages, build, create the
#                       SQLite database with demo data under var/, start the
#                       portal on http://localhost:8080 with a local clamd
#                       (virus scanning of uploads, test signatures only)
#   ./build.sh stop     stop the portal (and its clamd) started by `run`
#   ./build.sh test     the whole suite: APR format check, unit (ASan/UBSan),
#                       PDF letters read back, fuzz, HTTP and security on
#                       SQLite and PostgreSQL, HTTP against an ASan+UBSan
#                       module, browser, cluster (HAProxy, two nodes),
#                       the Debian package on the system Apache
#                       (browser: Chromium); ends with a summary
#   ./build.sh build    only build (build/mod_jobcenter.so, build/jobcenter-admin)
#   ./build.sh install  build the Debian package and install it into this
#                       machine's Apache (docs/install-debian.md)
#   ./build.sh deb      build the Debian package libapache2-mod-jobcenter
#                       into build/deb/ (dpkg-buildpackage, lintian)
#   ./build.sh bench    run bench/run.sh (figures against stock Apache peers)
set -euo pipefail
TOP=$(cd "$(dirname "$0")" && pwd)
cd "$TOP"

PORT=${JC_PORT:-8080}
VAR=$TOP/var

# Debian packages, by purpose
PKGS_BUILD=(apache2 apache2-dev libapr1-dev libaprutil1-dev
    libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql libsqlite3-dev libpq-dev libargon2-dev
    libjansson-dev libcbor-dev libqrencode-dev libhpdf-dev
    libcurl4-openssl-dev libssl-dev pkg-config make gcc sqlite3 curl)
PKGS_TEST=(libcmocka-dev postgresql chromium nodejs npm clang libclang-rt-14-dev
    poppler-utils zbar-tools haproxy pgbouncer clamav-daemon strace)
# `run` starts a local clamd (virus scanning of uploads) with a test database
PKGS_RUN=(clamav-daemon)
# ./build.sh deb (and its install test in ./build.sh test): dpkg-buildpackage
# with dh_apache2 (from apache2-dev), lintian; logrotate and openssl for the
# install test (the package's logrotate file, a throw-away certificate)
PKGS_DEB=(debhelper dpkg-dev apache2-dev lintian logrotate openssl)
PKGS_BENCH=(wrk valgrind apache2-utils haproxy)

say() { printf '%s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# deps PKG... : install what is missing (root), or say exactly what to run
deps() {
    local missing=() p
    for p in "$@"; do
        # node/npm may come from elsewhere than Debian's package
        if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
        if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        die "missing Debian packages. Run:
    sudo apt-get update && sudo apt-get install -y ${missing[*]}
and then this command again."
    fi
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
    make -s all >/dev/null
    # a module that builds may still fail to load (missing -l): check it
    say "Built build/mod_jobcenter.so and build/jobcenter-admin"
}

apache_bin() { command -v apache2 || echo /usr/sbin/apache2; }

# probe PATH: the HTTP status of GET PATH on the dev portal ("" if none)
probe() {
    curl -sS -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$PORT$1" 2>/dev/null \
        | grep -v '^000$' || true
}

# probe_db: a database read. GET /api/v1/me with a well-formed session
# token that no session has: the module looks it up in the session table
# and answers 401 not_authenticated; a database it cannot open or read
# answers 503/500. Prints "ok" or the status seen.
probe_db() {
    local tok=jc-probe-0000000000000000000000000000000000000 out
    out=$(curl -sS -m 5 -w ' %{http_code}' \
        -H "Cookie: jc_session=$tok; __Host-jc_session=$tok" \
        "http://127.0.0.1:$PORT/api/v1/me" 2>/dev/null) || true
    if [[ $out == *'"not_authenticated"'*' 401' ]]; then echo ok; else echo "${out##* }"; fi
}

stop_instance() {   # stop_instance DIR
    local conf=$1/httpd.conf pidf=$1/run/httpd.pid pid i
    [[ -f $pidf ]] || return 0
    pid=$(cat "$pidf" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        "$(apache_bin)" -f "$conf" -k stop 2>/dev/null || kill "$pid" || true
        for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidf"
}

# A local clamd for `run` (JobcenterClamd): Debian's clamav-daemon with a
# signature database of its own under var/clamd/db (only the EICAR test
# string: the official databases come from freshclam, which an install
# runs), a unix socket var/clamd/clamd.sock (mode 666: Apache's workers
# connect to it), stopped with the portal. EICAR inside a PDF shows the
# refusal on the upload page.
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
clamd_start() {   # clamd_start DIR: prints the socket, or fails
    local dir=$1 i hex
    clamd_stop "$dir"
    mkdir -p "$dir/db" "$dir/tmp"
    hex=$(printf '%s' "$EICAR" | od -An -v -tx1 | tr -d ' \n')
    printf 'Jobcenter.Test.EICAR:0:*:%s\n' "$hex" > "$dir/db/jobcenter-test.ndb"
    cat > "$dir/clamd.conf" <<CONF
LocalSocket $dir/clamd.sock
LocalSocketMode 666
FixStaleSocket true
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
PidFile $dir/clamd.pid
LogFile $dir/clamd.log
LogTime true
StreamMaxLength 25M
Foreground false
CONF
    /usr/sbin/clamd -c "$dir/clamd.conf" >/dev/null 2>&1 || return 1
    for ((i = 0; i < 100; i++)); do
        [[ -S $dir/clamd.sock && -s $dir/clamd.pid ]] && { echo "$dir/clamd.sock"; return 0; }
        sleep 0.1
    done
    return 1
}

clamd_stop() {   # clamd_stop DIR
    local pidf=$1/clamd.pid pid i
    [[ -f $pidf ]] || return 0
    pid=$(cat "$pidf" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" || true
        for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidf" "$1/clamd.sock"
}

ADMIN=build/jobcenter-admin
DEMO_JC="Jobcenter Rems-Murr"
DEMO_STAFF=sachbearbeitung@jobcenter.example
DEMO_KNR_FILE=demo-kundennummer.txt

demo_data() {   # demo_data SQLITE-FILE: only for a new database
    local hash db=$1
    hash=$(printf '%s\n' 'Jobcenter-Demo1' | "$ADMIN" hash-password)
    sqlite3 "$db" "INSERT INTO account (email, password_hash, email_confirmed_at,
        terms_accepted_at, email_consent_at, created_at, updated_at)
        VALUES ('demo@jobcenter.example', '$hash', strftime('%s','now'),
        strftime('%s','now'), strftime('%s','now'), strftime('%s','now'),
        strftime('%s','now'));"
    # a jobcenter, a staff member (one-time password: replaced by an own
    # one at the first login, then TOTP is set up) and a customer, all
    # through the admin tool
    "$ADMIN" --sqlite "$db" jobcenter-add --name "$DEMO_JC" \
        --street "Alter Postplatz 10" --postcode 71332 --city Waiblingen \
        --phone "07151 9519-0" \
        --hours "Mo, Di, Mi, Fr 8:00–12:00;Do 8:00–12:00 und 14:00–18:00;Termine nach Vereinbarung" \
        --postcodes 71332,71334,71336,71394,71397,71404,71522,71540,73614 >/dev/null
    "$ADMIN" --sqlite "$db" staff-add --jobcenter "$DEMO_JC" \
        --email "$DEMO_STAFF" --name "Sabine Sachbearbeiterin" \
        --team leistung --role sachbearbeitung > "$VAR/demo-staff.txt"
    chmod 600 "$VAR/demo-staff.txt"
    "$ADMIN" --sqlite "$db" customer-add --staff "$DEMO_STAFF" \
        --salutation Frau --given-name Erika --family-name Mustermann \
        --birth-date 1985-04-12 --street "Bahnhofstraße 1" --postcode 71332 \
        --city Waiblingen | sed -n 's/^kundennummer: //p' > "$VAR/$DEMO_KNR_FILE"
}

# demo_code SQLITE-FILE BASE-URL: a fresh Freischaltcode for the demo
# customer on every run (it voids the one of the previous run)
demo_code() {
    "$ADMIN" --sqlite "$1" code-issue --staff "$DEMO_STAFF" \
        --kundennummer "$(cat "$VAR/$DEMO_KNR_FILE")" --base-url "$2" \
        --out "$VAR/demo-freischaltcode.pdf" > "$VAR/demo-code.txt"
}

# demo_staff_password SQLITE-FILE: the lines of cmd_run's message about
# the demo staff member's password (one-time until the first login)
demo_staff_password() {
    local pw until pending
    pw=$(sed -n 's/^one-time password: //p' "$VAR/demo-staff.txt" 2>/dev/null)
    until=$(sed -n 's/^valid until: //p' "$VAR/demo-staff.txt" 2>/dev/null)
    # read as the workers' user: a root-owned -wal/-shm would lock them out
    local q=(sqlite3)
    [[ $(id -u) -ne 0 || -z ${wuser:-} ]] || q=(runuser -u "$wuser" -- sqlite3)
    pending=$("${q[@]}" "$1" "SELECT password_change_required FROM account
        WHERE email = '$DEMO_STAFF'" 2>/dev/null)
    if [[ $pending == 0 && -z $until ]]; then
        # a var/ from before one-time staff passwords were forced
        echo "    password:  ${pw:-see $VAR/demo-staff.txt}  (from the first run)"
        return
    fi
    if [[ $pending == 0 ]]; then
        echo "    password:  your own (the one-time password was replaced at the first login)"
        return
    fi
    echo "    one-time password:  ${pw:-see $VAR/demo-staff.txt}  (valid until ${until:-?})"
    echo "    At the first login the one-time password must be changed to an own"
    echo "    password (rules on the page); then the second factor is set up"
    echo "    (any TOTP app). After the date above the one-time password is refused;"
    echo "    a new one: build/jobcenter-admin --sqlite $1 staff-password --email $DEMO_STAFF"
}

cmd_run() {
    deps "${PKGS_BUILD[@]}" "${PKGS_RUN[@]}"
    build
    mkdir -p "$VAR"
    stop_instance "$VAR"
    clamd_stop "$VAR/clamd"
    # Apache's workers need htdocs and var/: www-data, or the owner of this
    # checkout when www-data cannot reach it (tools/worker-user.sh)
    local wuser wgroup why
    wuser=$(tools/worker-user.sh) || exit 1
    why=$(tools/worker-user.sh --why)
    wgroup=$(id -gn "$wuser")
    if [[ $(id -u) -eq 0 ]]; then
        # before the admin tool touches the database: run as root on a
        # file owned by another user, it switches to that user
        mkdir -p "$VAR/db" "$VAR/mail" "$VAR/uploads"
        chown -R "$wuser:$wgroup" "$VAR/db" "$VAR/mail" "$VAR/uploads"
    fi
    local db=$VAR/db/jobcenter.sqlite fresh=0
    [[ -s $db ]] || fresh=1
    # creates the database, or applies the migrations it does not have yet
    tools/db-init.sh sqlite "$db"
    [[ $fresh == 0 ]] || demo_data "$db"
    local code_ok=1
    if [[ -s $VAR/$DEMO_KNR_FILE ]]; then
        demo_code "$db" "http://localhost:$PORT" || code_ok=0
    else
        code_ok=0
    fi
    local clamd_sock clamd_msg
    if clamd_sock=$(clamd_start "$VAR/clamd"); then
        clamd_msg="clamd (ClamAV) with the test signature database (EICAR test string only):
    socket $clamd_sock, log $VAR/clamd/clamd.log
    A PDF holding the EICAR string is refused on the upload page (422)."
    else
        clamd_sock=off
        clamd_msg="clamd (ClamAV) did not start (see $VAR/clamd/clamd.log): uploads are NOT scanned"
    fi
    tools/gen-config.sh --root "$VAR" --port "$PORT" --user "$wuser" \
        --base-url "http://localhost:$PORT" \
        --origin "http://127.0.0.1:$PORT" --access-log \
        --set "JobcenterHolidayRegion BW" \
        --set "JobcenterClamd $clamd_sock" >/dev/null
    if [[ $(id -u) -eq 0 ]]; then
        chown -R "$wuser:$wgroup" "$VAR/db" "$VAR/mail" "$VAR/uploads"
        [[ $wuser != www-data ]] || chmod 755 "$VAR"
    fi
    say "$why"
    "$(apache_bin)" -f "$VAR/httpd.conf" -t >/dev/null 2>&1 \
        || { "$(apache_bin)" -f "$VAR/httpd.conf" -t; die "configuration test failed"; }
    "$(apache_bin)" -f "$VAR/httpd.conf" -k start
    # running means: a page (GET / answers 200) and a database read
    # (probe_db) both work; anything else is reported, never "running"
    local i page= dbr=
    for ((i = 0; i < 100; i++)); do
        page=$(probe /) dbr=$(probe_db)
        [[ $page == 200 && $dbr == ok ]] && break
        sleep 0.1
    done
    if [[ $page != 200 || $dbr != ok ]]; then
        printf '\nbuild.sh: the portal does not work: GET / -> %s (want 200), database read (GET /api/v1/me) -> %s (want 401 not_authenticated)\n' \
            "${page:-no answer}" "${dbr:-no answer}" >&2
        printf 'Last lines of %s:\n' "$VAR/logs/error.log" >&2
        tail -n 15 "$VAR/logs/error.log" >&2 || true
        stop_instance "$VAR"
        clamd_stop "$VAR/clamd"
        die "not started (stopped again); Apache's workers ran as $wuser"
    fi
    cat <<MSG

  Jobcenter.Digital is running:  http://localhost:$PORT/
  Demo account$( [[ $fresh == 1 ]] && echo "" || echo " (created earlier)"):  demo@jobcenter.example / Jobcenter-Demo1

  Staff (Sachbearbeitung, $DEMO_JC):  http://localhost:$PORT/sachbearbeitung/
    login:     $DEMO_STAFF
$(demo_staff_password "$db")
$( if [[ $code_ok == 1 ]]; then cat <<CODE
  Demo customer Erika Mustermann, Kundennummer $(cat "$VAR/$DEMO_KNR_FILE"):
    Freischaltcode:  $(sed -n 's/^freischaltcode: //p' "$VAR/demo-code.txt")  (new on every run)
    letter (PDF):    $VAR/demo-freischaltcode.pdf
    QR link:         $(sed -n 's/^link: //p' "$VAR/demo-code.txt")
CODE
elif [[ -s $VAR/$DEMO_KNR_FILE ]]; then echo "  (demo customer: no Freischaltcode this time, see the admin tool's message above)"
else echo "  (no demo customer: the database was created before the staff demo existed)"; fi )
  Outgoing mail (one .eml per mail):  $VAR/mail/
  Database (SQLite):  $VAR/db/jobcenter.sqlite
  Key for secrets at rest (TOTP):  $VAR/secret.key  (keep it with the database)
  Logs:  $VAR/logs/error.log, $VAR/logs/access.log
  Virus scanning of uploads: $clamd_msg
  Stop it:  ./build.sh stop

MSG
    example_content "$TOP/conf/betreiber"
}

# example_content DIR: warn while the footer pages' texts in DIR are still
# the shipped examples (docs/configuration.md, "Footer pages")
example_content() {
    local f
    f=$(grep -l 'jobcenter:beispiel' "$1"/*.html 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
    [[ -z $f ]] || say "  WARNING: the footer pages (Impressum, Barrierefreiheit, ...) still show
  the shipped examples with placeholders: $1/{ ${f}}. Replace them."
}

cmd_stop() {
    stop_instance "$VAR"
    clamd_stop "$VAR/clamd"
    say "Stopped (if it was running)."
}

cmd_test() {
    deps "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}" "${PKGS_DEB[@]}"
    build
    if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    fi
    local results=() failed=0 phase
    run_phase() {
        local name=$1; shift
        say ""
        say "==== $name ===="
        if "$@"; then results+=("PASS  $name"); else results+=("FAIL  $name"); failed=1; fi
    }
    run_phase "directives documented (docs/, conf/)" tools/check-directives.sh
    run_phase "log tags documented (docs/logs.md)" \
        sh -c 'tools/check-log-tags.sh --self-test && tools/check-log-tags.sh'
    run_phase "APR formats: no %ll/%z/%j/%q in apr_*printf, ap_log_*, ap_rprintf" \
        sh -c 'tools/check-format.sh --self-test && tools/check-format.sh'
    run_phase "sizes: no C file over 1,000 lines, no long function without a reason" \
        sh -c 'tools/check-size.sh --self-test && tools/check-size.sh'
    run_phase "unit (cmocka, ASan+UBSan; upload store also TSan)" make -s unit
    run_phase "PDF letters read back (pdftotext, zbarimg)" make -s -C tests/unit check-pdf
    run_phase "fuzz (libFuzzer, 15 s per target)" make -s -C tests/fuzz run FUZZ_TIME=15
    run_phase "http on SQLite" node tests/run.mjs --db sqlite --suite http
    run_phase "http on PostgreSQL" node tests/run.mjs --db pgsql --suite http
    run_phase "security (tests/security) on SQLite" node tests/run.mjs --db sqlite --suite security
    run_phase "security (tests/security) on PostgreSQL" node tests/run.mjs --db pgsql --suite security
    run_phase "http on SQLite, module with ASan+UBSan" \
        env JC_ASAN=1 sh -c 'make -s asan >/dev/null && node tests/run.mjs --db sqlite --suite http'
    run_phase "browser (Chromium) on SQLite" node tests/run.mjs --db sqlite --suite browser
    run_phase "browser (Chromium) on PostgreSQL" node tests/run.mjs --db pgsql --suite browser
    run_phase "cluster (HAProxy, two nodes, PostgreSQL primary + standby)" \
        node tests/run.mjs --db pgsql --suite cluster
    run_phase "Debian package (./build.sh deb, lintian; installed on the system Apache: HTTPS journey, purge)" \
        sh -c './build.sh deb && node tests/run.mjs --db sqlite --suite deb'
    say ""
    say "==== summary ===="
    for phase in "${results[@]}"; do say "$phase"; done
    if [[ $failed -ne 0 ]]; then say "RESULT: FAILED"; return 1; fi
    say "RESULT: ALL PASSED"
}

# install = the Debian package: one way onto a system Apache, the one the
# deb suite tests (HTTPS site, HTTP only redirecting, key made once, purge)
cmd_install() {
    [[ $(id -u) -eq 0 ]] || die "install needs root (sudo ./build.sh install)"
    cmd_deb
    local deb
    deb=$(ls "$TOP"/build/deb/libapache2-mod-jobcenter_*.deb)
    apt-get install -y -qq "$deb"
    example_content /etc/jobcenter/betreiber
    say "Installed $(basename "$deb"). Next (docs/install-debian.md): set JOBCENTER_HOST,"
    say "the certificate and the mail relay at the top of /etc/apache2/sites-available/jobcenter.conf,"
    say "then: a2enmod ssl && a2ensite jobcenter && apachectl configtest && systemctl reload apache2"
}

# the package is built in a copy of the tree under build/deb/src
# (dpkg-buildpackage writes its results next to the source tree: build/deb/)
cmd_deb() {
    deps "${PKGS_BUILD[@]}" "${PKGS_DEB[@]}"
    local out=$TOP/build/deb src=$TOP/build/deb/src deb
    rm -rf "$out"
    mkdir -p "$src"
    tar -C "$TOP" --exclude=./build --exclude=./node_modules --exclude=./var \
        --exclude=./.git -cf - . | tar -C "$src" -xf -
    say "Building the Debian package (log: $out/build.log)"
    if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
        tail -n 40 "$out/build.log" >&2
        die "dpkg-buildpackage failed (log: $out/build.log)"
    fi
    rm -rf "$src"
    deb=$(ls "$out"/libapache2-mod-jobcenter_*.deb)
    say "lintian $(basename "$deb"):"
    # overridden tags are explained in debian/*.lintian-overrides
    lintian --fail-on error,warning --info "$deb" \
        || die "lintian found problems (above)"
    say "Built $deb"
    say "Install:  apt-get install $deb   (docs/install-debian.md)"
}

case ${1:-} in
    run) cmd_run ;;
    stop) cmd_stop ;;
    test) cmd_test ;;
    build) deps "${PKGS_BUILD[@]}"; build ;;
    install) cmd_install ;;
    deb) cmd_deb ;;
    bench) deps "${PKGS_BUILD[@]}" "${PKGS_BENCH[@]}" postgresql; build; exec bench/run.sh "${@:2}" ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
esac
