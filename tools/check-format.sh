#!/usr/bin/env bash
# Refuse printf length modifiers that APR's formatter does not know.
#
#   tools/check-format.sh              scan mod_jobcenter/*.[ch] and admin/*.c
#   tools/check-format.sh FILE...      scan these files
#   tools/check-format.sh --self-test  check the checker on built-in samples
#
# apr_psprintf, apr_snprintf, apr_brigade_printf, ap_log_*error, ap_rprintf
# and the rest of the family format with apr_vformatter, which knows only
# the modifiers h, l, q and APR's own APR_INT64_T_FMT/APR_OFF_T_FMT. An
# unknown one (%llu) is not consumed with its argument: on LP64 the next
# %s then reads an integer as a pointer (a receipt PDF crashed children
# this way). gcc's -Wformat cannot see it: httpd and APR declare these
# functions format(printf), and %llu / %zu are fine for ISO printf.
#
# So every string literal in the arguments of such a call (adjacent
# literals joined, also across lines, APR_*_FMT and JCLOG(n) expanded) is
# parsed as a format, and a conversion with ll, hh, z, j, t, L or q fails
# the check with FILE:LINE. Use APR_INT64_T_FMT, APR_UINT64_T_FMT,
# APR_SIZE_T_FMT, APR_OFF_T_FMT instead. Not checked: apr_dbd statements
# (jc_sql.c: %lld is apr_dbd's own format there) and plain snprintf/printf
# (glibc knows them all). Functions of the scanned files that take `...`
# and hand it to a v-function of the family (apr_pvsprintf,
# apr_vsnprintf, apr_vformatter, ap_vrprintf, apr_brigade_vprintf), and
# macros with __VA_ARGS__ that call one of the family, are checked as well.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

self_test() {
    local d rc=0 out
    d=$(mktemp -d)
    trap 'rm -rf "$d"' RETURN
    cat > "$d/bad.c" <<'C'
static void f(apr_pool_t *p, request_rec *r, unsigned long long n)
{
    char *a = apr_psprintf(p, "%llu %s", n, "x");                /* 3 */
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, JCLOG(10001)
                  "size %zu of %s", (size_t)n,                   /* 5 */
                  "y");
    apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT " %"
                 "jd", a, b);                                     /* 8 */
    apr_brigade_printf(bb, NULL, NULL, "%-10.3qd", n);           /* 9 */
    jc_fail(p, "%tx", d);                                         /* 10 */
    JC_WARN(r, "%Lf", x);                                         /* 11 */
}
static char *jc_fail(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return s;
}
#define JC_WARN(r, ...) ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, __VA_ARGS__)
C
    cat > "$d/good.c" <<'C'
static void g(apr_pool_t *p, request_rec *r, apr_uint64_t n)
{
    /* a comment with apr_psprintf(p, "%llu") is no call */
    char *a = apr_psprintf(p, "%" APR_UINT64_T_FMT " %s %ld %lu %hd %%llu",
                           n, "data", 1L, 2UL, 3);
    // apr_psprintf(p, "%zu")
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, JCLOG(10002) "%s: %"
                  APR_SIZE_T_FMT " bytes, 100%%", a, n);
    snprintf(buf, sizeof(buf), "%llu %zu", 1ULL, (size_t)2);
    apr_dbd_pvbquery(d, p, h, &n, st, "%lld", &v);
    char c = '"'; apr_psprintf(p, "%c", c);
}
C
    out=$(cd "$d" && bash "$TOP/tools/check-format.sh" bad.c 2>&1) && rc=1
    local want
    for want in 'bad.c:3:' 'bad.c:5:' 'bad.c:8:' 'bad.c:9:' 'bad.c:10:' 'bad.c:11:'; do
        if ! grep -q "^$want" <<<"$out"; then
            echo "self-test: $want not reported" >&2
            rc=1
        fi
    done
    [[ $(grep -c '^bad.c:' <<<"$out") -eq 6 ]] \
        || { echo "self-test: expected 6 findings in bad.c:" >&2; echo "$out" >&2; rc=1; }
    if ! out=$(cd "$d" && bash "$TOP/tools/check-format.sh" good.c 2>&1); then
        echo "self-test: good.c refused:" >&2
        echo "$out" >&2
        rc=1
    fi
    [[ $rc -eq 0 ]] && echo "check-format: self-test OK"
    return $rc
}

if [[ ${1:-} == --self-test ]]; then
    self_test
    exit
fi
if [[ $# -eq 0 ]]; then
    cd "$TOP"
    set -- mod_jobcenter/*.[ch] admin/*.c
fi

exec perl -e '
use strict;
use warnings;

my @family = qw(apr_psprintf apr_pvsprintf apr_snprintf apr_vsnprintf
    apr_vformatter apr_brigade_printf apr_brigade_vprintf apr_file_printf
    ap_log_error ap_log_rerror ap_log_cerror ap_log_perror ap_log_cserror
    ap_log_error_ ap_log_rerror_ ap_log_cerror_ ap_log_perror_
    ap_log_cserror_ ap_rprintf ap_vrprintf);
my $vfuncs = qr/\b(?:apr_pvsprintf|apr_vsnprintf|apr_vformatter|ap_vrprintf|apr_brigade_vprintf)\s*\(/;
# what these macros expand to on Linux (APR 1.x); each is a string literal
my %macro = (APR_INT64_T_FMT => "ld", APR_UINT64_T_FMT => "lu",
    APR_UINT64_T_HEX_FMT => "lx", APR_SIZE_T_FMT => "lu",
    APR_SSIZE_T_FMT => "ld", APR_OFF_T_FMT => "ld", APR_PID_T_FMT => "d",
    APR_TIME_T_FMT => "ld", APR_UINT32_T_FMT => "u", APR_INT32_T_FMT => "d");

# the file with comments blanked (same length, same lines)
sub uncomment {
    my ($s) = @_;
    my $o = "";
    my $n = length $s;
    my $i = 0;
    while ($i < $n) {
        my $c = substr($s, $i, 1);
        my $c2 = substr($s, $i, 2);
        if ($c2 eq "/*") {
            my $e = index($s, "*/", $i + 2);
            $e = $n - 2 if $e < 0;
            (my $b = substr($s, $i, $e + 2 - $i)) =~ s/[^\n]/ /g;
            $o .= $b; $i = $e + 2;
        } elsif ($c2 eq "//") {
            my $e = index($s, "\n", $i);
            $e = $n if $e < 0;
            $o .= " " x ($e - $i); $i = $e;
        } elsif ($c eq "\"" || $c eq "\x27") {
            my $j = $i + 1;
            while ($j < $n && substr($s, $j, 1) ne $c && substr($s, $j, 1) ne "\n") {
                $j += substr($s, $j, 1) eq "\\" ? 2 : 1;
            }
            $o .= substr($s, $i, $j + 1 - $i); $i = $j + 1;
        } else {
            $o .= $c; $i++;
        }
    }
    return $o;
}

my %code;
for my $f (@ARGV) {
    open(my $fh, "<", $f) or die "check-format: $f: $!\n";
    local $/;
    $code{$f} = uncomment(<$fh>);
}

# wrappers: functions taking ... that call a v-function, and variadic
# macros that call one of the family
my %check = map { $_ => 1 } @family;
for my $f (@ARGV) {
    my $c = $code{$f};
    while ($c =~ /^[A-Za-z_][^;{}()]*?\b([A-Za-z_]\w*)\s*\(([^;{}()]*\.\.\.[^;{}()]*)\)\s*\{/mg) {
        my ($name, $start) = ($1, pos($c));
        my ($depth, $i) = (1, $start);
        while ($depth > 0 && $i < length $c) {
            my $ch = substr($c, $i++, 1);
            $depth++ if $ch eq "{";
            $depth-- if $ch eq "}";
        }
        $check{$name} = 1 if substr($c, $start, $i - $start) =~ $vfuncs;
    }
    while ($c =~ /^[ \t]*#[ \t]*define[ \t]+(\w+)\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)/mg) {
        my ($name, $params, $body) = ($1, $2, $3);
        next unless $params =~ /\.\.\./;
        my $fam = join("|", map { quotemeta } @family);
        $check{$name} = 1 if $body =~ /\b(?:$fam)\s*\(/ || $body =~ $vfuncs;
    }
}
my $names = join("|", map { quotemeta } sort { length $b <=> length $a } keys %check);

sub line_of { my ($c, $off) = @_; return 1 + (substr($c, 0, $off) =~ tr/\n//); }

# every bad conversion in format text $t: [conversion, index of its
# length modifier in $t]
sub bad_specs {
    my ($t) = @_;
    my @bad;
    while ($t =~ /%[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?(hh|ll|[hlLqjzt])?(.)?/g) {
        my ($len, $conv, $from, $to, $at) = ($1, $2, $-[0], $+[0], $-[1]);
        next if !defined $len && defined $conv && $conv eq "%";
        push @bad, [substr($t, $from, $to - $from), $at]
            if defined $len && $len =~ /^(?:hh|ll|L|q|j|z|t)$/;
    }
    return @bad;
}

my $bad = 0;
my %seen;
for my $f (@ARGV) {
    my $c = $code{$f};
    while ($c =~ /\b($names)\s*\(/g) {
        my ($fn, $i, $depth) = ($1, pos($c), 1);
        my $n = length $c;
        # the argument list: runs of adjacent literals (and APR_*_FMT,
        # JCLOG(n)) up to the closing parenthesis
        my @runs;
        my $run;
        while ($i < $n && $depth > 0) {
            my $ch = substr($c, $i, 1);
            if ($ch eq "\"") {
                my $j = $i + 1;
                while ($j < $n && substr($c, $j, 1) ne "\"") {
                    $j += substr($c, $j, 1) eq "\\" ? 2 : 1;
                }
                $run //= { text => "", off => $i, at => [] };
                $run->{text} .= substr($c, $i + 1, $j - $i - 1);
                push @{$run->{at}}, $i + 1 .. $j - 1;
                $i = $j + 1;
                next;
            }
            if ($ch eq "\x27") {
                my $j = $i + 1;
                $j += substr($c, $j, 1) eq "\\" ? 2 : 1 while $j < $n && substr($c, $j, 1) ne "\x27";
                $i = $j + 1;
                next;
            }
            if ($ch =~ /\s/) { $i++; next; }
            if (substr($c, $i) =~ /^(\w+)/) {
                my $w = $1;
                if (exists $macro{$w}) {
                    $run //= { text => "", off => $i, at => [] };
                    $run->{text} .= $macro{$w};
                    push @{$run->{at}}, ($i) x length $macro{$w};
                    $i += length $w;
                    next;
                }
                if ($w eq "JCLOG" && substr($c, $i) =~ /^(JCLOG\s*\(\s*\d+\s*\))/) {
                    $run //= { text => "", off => $i, at => [] };
                    $run->{text} .= "JCnnnnn: ";
                    push @{$run->{at}}, ($i) x 9;
                    $i += length $1;
                    next;
                }
                push @runs, $run if $run;
                undef $run;
                $i += length $w;
                next;
            }
            push @runs, $run if $run;
            undef $run;
            $depth++ if $ch eq "(";
            $depth-- if $ch eq ")";
            $i++;
        }
        push @runs, $run if $run;
        for my $r (@runs) {
            next if $seen{"$f:$r->{off}"}++;
            for my $b (bad_specs($r->{text})) {
                my ($spec, $at) = @$b;
                my $line = line_of($c, $r->{at}[$at] // $r->{off});
                print "$f:$line: $fn: \"$spec\": APR\x27s formatter has no",
                    " ll/hh/z/j/t/L (q only in APR): use APR_INT64_T_FMT,",
                    " APR_UINT64_T_FMT, APR_SIZE_T_FMT or APR_OFF_T_FMT\n";
                $bad++;
            }
        }
    }
}
if ($bad) {
    print STDERR "check-format: $bad format(s) with a length modifier APR does not know\n";
    exit 1;
}
' "$@"
