#!/usr/bin/env bash
# Writes the Debian package's site, /etc/apache2/sites-available/jobcenter.conf:
# an HTTPS virtual host with the portal (its body comes from
# tools/gen-config.sh --site-only, the one generator the dev server, the
# tests and the benchmarks use) and an HTTP virtual host that only
# redirects to it. Called by debian/rules: debian/gen-site.sh OUTFILE
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
out=$1
share=/usr/share/jobcenter
lib=/var/lib/jobcenter
spool=/var/spool/jobcenter/mail
key=/etc/apache2/jobcenter-secret.key
content=/etc/jobcenter/betreiber
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

body=$("$TOP/tools/gen-config.sh" --site-only --root "$scratch" --port 443 \
        --sqlite-file "$lib/jobcenter.sqlite" \
        --base-url 'https://${JOBCENTER_HOST}' \
        --mail smtp --smtp-url '${JOBCENTER_SMTP_URL}' \
        --smtp-starttls '${JOBCENTER_SMTP_STARTTLS}' \
        --secret-key "$key" --upload-store "$lib/uploads" --content-dir "$content" \
        --audit-log /var/log/jobcenter/audit.log \
        --set 'JobcenterMailFrom "${JOBCENTER_MAIL_FROM}"')
body=${body//"$TOP/htdocs"/$share/htdocs}
body=${body//"$scratch/mail"/$spool}
body=${body//"(ServerTokens is main-server only: see below and"$'\n'"# debian/gen-site.sh)."/"(ServerTokens is main-server only: set above)."}
[[ $body != *"$scratch"* && $body != *"$TOP"* ]] \
    || { echo "gen-site: a build path is left in the site" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
{
cat <<'HEAD'
# mod_jobcenter: the Jobcenter.Digital portal over HTTPS (package
# libapache2-mod-jobcenter, docs: /usr/share/doc/libapache2-mod-jobcenter/).
#
# Set the values below, then:
#   a2enmod ssl && a2ensite jobcenter && systemctl reload apache2
#
# A value Defined before this file is read (e.g. in conf-enabled/, or with
# `apache2 -C "Define ..."`) wins over the one here.

# The portal's host name as people type it (add :PORT when not 443). Links
# in mails, the allowed Origin, the cookie's host and the passkeys' relying
# party are this host.
<IfDefine !JOBCENTER_HOST>
    Define JOBCENTER_HOST jobcenter.example.org
</IfDefine>
# The certificate (with its chain) and its key, PEM. The defaults are
# Debian's self-signed "snakeoil" pair from the ssl-cert package: browsers
# warn about it; use one issued for JOBCENTER_HOST (e.g. certbot).
<IfDefine !JOBCENTER_CERT>
    Define JOBCENTER_CERT /etc/ssl/certs/ssl-cert-snakeoil.pem
</IfDefine>
<IfDefine !JOBCENTER_CERT_KEY>
    Define JOBCENTER_CERT_KEY /etc/ssl/private/ssl-cert-snakeoil.key
</IfDefine>
# The mail relay (confirmation and reset mails) and the sender. The default
# is the local MTA; for a relay elsewhere use JOBCENTER_SMTP_STARTTLS require
# and JobcenterSMTPAuth below.
<IfDefine !JOBCENTER_SMTP_URL>
    Define JOBCENTER_SMTP_URL smtp://localhost:25
</IfDefine>
<IfDefine !JOBCENTER_SMTP_STARTTLS>
    Define JOBCENTER_SMTP_STARTTLS off
</IfDefine>
<IfDefine !JOBCENTER_MAIL_FROM>
    Define JOBCENTER_MAIL_FROM "Jobcenter.Digital <noreply@localhost>"
</IfDefine>
# Ports of the two virtual hosts (ports.conf must Listen on them; Debian's
# listens on 80, and on 443 once mod_ssl is enabled)
<IfDefine !JOBCENTER_HTTP_PORT>
    Define JOBCENTER_HTTP_PORT 80
</IfDefine>
<IfDefine !JOBCENTER_HTTPS_PORT>
    Define JOBCENTER_HTTPS_PORT 443
</IfDefine>

<IfModule !ssl_module>
    Error "The jobcenter site needs mod_ssl: a2enmod ssl"
</IfModule>

# "Server: Apache" without version and OS. Main server only: set here, as
# Debian reads conf-enabled/security.conf (ServerTokens OS) before sites.
ServerTokens Prod

# Plain HTTP: nothing but a permanent redirect to the same path on HTTPS.
# Logged without the query string (a Freischaltcode typed into an http://
# link must not land in the access log).
<VirtualHost *:${JOBCENTER_HTTP_PORT}>
    ServerName ${JOBCENTER_HOST}
    CustomLog ${APACHE_LOG_DIR}/other_vhosts_access.log "%v:%p %h %l %u %t \"%m %U %H\" %>s %O"
    Redirect permanent / https://${JOBCENTER_HOST}/
</VirtualHost>

<VirtualHost *:${JOBCENTER_HTTPS_PORT}>
    ServerName ${JOBCENTER_HOST}

    SSLEngine on
    SSLCertificateFile ${JOBCENTER_CERT}
    SSLCertificateKeyFile ${JOBCENTER_CERT_KEY}
    # TLS 1.2 and 1.3 only (Mozilla's "intermediate" profile)
    SSLProtocol -all +TLSv1.2 +TLSv1.3
    SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305
    SSLHonorCipherOrder off
    SSLSessionTickets off
    # browsers use HTTPS only for this host for two years (no
    # includeSubDomains: other hosts of the domain are not ours to decide)
    Header always set Strict-Transport-Security "max-age=63072000"

    # The session cookie is __Host-jc_session; Secure; HttpOnly;
    # SameSite=Lax; Path=/ (JobcenterCookieSecure On, the default): leave
    # JobcenterCookieSecure alone on a real install.

    # Set with a remote relay: JobcenterSMTPAuth user password

HEAD
sed 's/^/    /; s/^    $//' <<<"$body"
cat <<'TAIL'
</VirtualHost>
TAIL
} > "$out"
