#!/usr/bin/env bash
# Independent readers check the PDFs of jc_letter: pdftotext (poppler-utils)
# extracts the texts, codes and dates; pdftoppm renders page 1 of the
# Freischaltcode letter at 150 dpi and zbarimg (zbar-tools) must decode its
# QR code to exactly the URL given. Usage: letters-reader.sh PATH/letter_pdf
# (run by `make -C tests/unit check-pdf` and `./build.sh test`).
set -euo pipefail
DRV=${1:?usage: letters-reader.sh PATH/letter_pdf}
for t in pdftotext pdftoppm pdfinfo zbarimg; do
    command -v "$t" >/dev/null || { echo "letters-reader: $t missing (apt-get install poppler-utils zbar-tools)" >&2; exit 1; }
done
export TZ=Europe/Berlin
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok()  { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }
# text FILE: the PDF's text, whitespace (incl. line breaks) folded to one space
text() { pdftotext -enc UTF-8 "$1" - 2>/dev/null | tr -s ' \n\f' '   '; }
has()   { if grep -qF -- "$3" <<<"$2"; then ok; else bad "$1 lacks: $3"; fi; }
lacks() { if grep -qF -- "$3" <<<"$2"; then bad "$1 contains: $3"; else ok; fi; }
pages() { pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p'; }
de()    { date -d "@$1" +%d.%m.%Y; }

DATE=$(date -d '2026-03-31 22:30 UTC' +%s)   # 01.04.2026 00:30 in Berlin
VALID=$(date -d '2026-04-14 23:30 UTC' +%s)  # 15.04.2026 in Berlin
[[ $(de "$DATE") == 01.04.2026 && $(de "$VALID") == 15.04.2026 ]] \
    || { echo "letters-reader: tzdata for Europe/Berlin missing" >&2; exit 1; }

# --- Freischaltcode letter ---------------------------------------------
CODE=Z8TM-YQE6-H578
URL='https://jobcenter.example/freischalten.html?code=Z8TMYQE6H578&quelle=brief%20A'
"$DRV" freischaltcode "$T/fc.pdf" "$DATE" "$VALID" "$CODE" "$URL"
head -c 5 "$T/fc.pdf" | grep -q '^%PDF-' && ok || bad "fc.pdf: no %PDF- header"
tail -c 7 "$T/fc.pdf" | grep -q '%%EOF' && ok || bad "fc.pdf: no %%EOF"
[[ $(pages "$T/fc.pdf") == 1 ]] && ok || bad "fc.pdf: not one page"
fc=$(text "$T/fc.pdf")
for s in "Freischaltcode für Online-Angebote der Bundesagentur für Arbeit" \
    "Jobcenter Rems-Murr · Postfach 1234 · 71332 Waiblingen" \
    "Frau Erika Müller-Weiß" "Hauptstraße 5" "Kundennummer: 123A123456" \
    "Datum: 01.04.2026" "Telefon: 07151 9519-0" "Guten Tag," \
    "1. Scannen Sie den nachfolgenden QR-Code" "$URL" "$CODE" \
    "2. Melden Sie sich an Ihrem bestehenden Konto an" \
    "„eServices freischalten“" "5. Ihr Profil wird automatisch angelegt" \
    "Der Freischaltcode ist gültig bis zum: 15.04.2026" \
    "Mit freundlichen Grüßen Ihr Jobcenter Rems-Murr"; do
    has fc.pdf "$fc" "$s"
done
pdftoppm -r 150 -png -f 1 -l 1 "$T/fc.pdf" "$T/fc" 2>/dev/null
qr=$(zbarimg --raw -q "$T"/fc-1.png 2>/dev/null || true)
[[ $qr == "$URL" ]] && ok || bad "QR code decodes to '$qr', not '$URL'"

# --- credential letters -------------------------------------------------
USER_V=ba-514466234
PASS_V='kRAu-3mf7T3W'
LOGIN=https://jobcenter.example/anmeldung.html
"$DRV" credential "$T/user.pdf" "$DATE" "$VALID" 1 "$USER_V" "$LOGIN"
"$DRV" credential "$T/pass.pdf" "$DATE" "$VALID" 2 "$PASS_V"
u=$(text "$T/user.pdf"); pw=$(text "$T/pass.pdf")
for s in "Zugangsdaten für Ihr Konto" "Frau Erika Müller-Weiß" \
    "Datum: 01.04.2026" "wurden zurückgesetzt" \
    "Die Einmal-Zugangsdaten sind gültig bis zum: 15.04.2026"; do
    has user.pdf "$u" "$s"; has pass.pdf "$pw" "$s"
done
has user.pdf "$u" "Bitte nutzen Sie für die nächste Anmeldung diesen Benutzernamen: $USER_V"
has user.pdf "$u" "Ein Passwort erhalten Sie in einem anderen Schreiben."
has user.pdf "$u" "$LOGIN"
lacks user.pdf "$u" "$PASS_V"
lacks user.pdf "$u" "dieses Passwort:"
has pass.pdf "$pw" "Bitte nutzen Sie für die nächste Anmeldung dieses Passwort: $PASS_V"
has pass.pdf "$pw" "Einen Benutzernamen erhalten Sie in einem anderen Schreiben."
has pass.pdf "$pw" "Jobcenter.Digital"
lacks pass.pdf "$pw" "$USER_V"
lacks pass.pdf "$pw" "diesen Benutzernamen:"

# --- receipts -----------------------------------------------------------
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
MSG='Guten Tag, anbei die Kontoauszüge – Miete 450 € „März“ 👍🏽 ok 👨‍👩‍👧 Łódź Ende'
"$DRV" receipt "$T/r.pdf" "$DATE" 3 "$MSG"
r=$(text "$T/r.pdf")
for s in "Bestätigung über den Eingang Ihrer Dokumente" \
    "Ihre Dokumente wurden am 01.04.2026 um 00:30 Uhr an Jobcenter Rems-Murr übermittelt." \
    "EV-2026-000123" "Geldleistung" "Kontoauszug-1.pdf" "Kontoauszug-3.pdf" \
    "1,0 MB" "(1.000.003 Bytes)" "3,0 MB (3.000.009 Bytes)" \
    "Guten Tag, anbei die Kontoauszüge – Miete 450 € „März“ ? ok ? Lódz Ende" \
    "K7QX-2MPD" "https://jobcenter.example/pruefen?code=K7QX-2MPD" \
    "Seite 1 von 1"; do
    has r.pdf "$r" "$s"
done
for i in 1 2 3; do has r.pdf "$r" " $(sha "$i") "; done
"$DRV" receipt "$T/r120.pdf" "$DATE" 120
n=$(pages "$T/r120.pdf")
[[ $n -gt 1 ]] && ok || bad "r120.pdf: $n page(s), expected several"
r=$(text "$T/r120.pdf")
has r120.pdf "$r" "Seite $n von $n"
missing=0
for i in $(seq 1 120); do grep -qF " $(sha "$i") " <<<"$r" || missing=$((missing + 1)); done
[[ $missing == 0 ]] && ok || bad "r120.pdf: $missing of 120 SHA-256 values not extractable as one token"
has r120.pdf "$r" "Kontoauszug-120.pdf"
has r120.pdf "$r" "120,0 MB (120.000.360 Bytes)"

# small sizes (security finding 2: below 1000 bytes the size was formatted
# with "%llu", which APR's formatter lacks: the driver crashed here)
if "$DRV" receipt-sizes "$T/rs.pdf" "$DATE" 0 1 2 999 1000 1024 999999 2>"$T/err"; then
    r=$(text "$T/rs.pdf")
    for s in "1 Datei-0.pdf 0 Bytes SHA-256: $(sha 0) " \
        "2 Datei-1.pdf 1 Byte SHA-256: $(sha 1) " \
        "3 Datei-2.pdf 2 Bytes SHA-256: $(sha 2) " \
        "4 Datei-999.pdf 999 Bytes SHA-256: $(sha 999) " \
        "5 Datei-1000.pdf 1,0 kB (1.000 Bytes) SHA-256: $(sha 1000) " \
        "6 Datei-1024.pdf 1,0 kB (1.024 Bytes) SHA-256: $(sha 1024) " \
        "7 Datei-999999.pdf 1,0 MB (999.999 Bytes) SHA-256: $(sha 999999) "; do
        has rs.pdf "$r" "$s"
    done
else
    bad "receipt with sizes 0 1 2 999 1000 1024 999999 failed (exit $?): $(cat "$T/err")"
fi

# --- refusals -----------------------------------------------------------
if "$DRV" receipt "$T/r501.pdf" "$DATE" 501 2>"$T/err"; then bad "501 files accepted"
elif grep -q "501 files" "$T/err" && [[ ! -e $T/r501.pdf ]]; then ok
else bad "501 files: unexpected error: $(cat "$T/err")"; fi

if [[ $fails -ne 0 ]]; then
    echo "letters-reader: FAIL - $fails of $checks checks failed"
    exit 1
fi
echo "letters-reader: OK - $checks checks passed (pdftotext, pdftoppm, zbarimg)"
