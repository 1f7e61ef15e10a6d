#!/usr/bin/env bash
# Rewrite statement labels to statement ids in C files:
#   tools/sql-ids.sh FILE...
# 1. Every string literal that is a statement label of the lists in
#    mod_jobcenter/jc_sql_*.h ("jc_acct_by_email") becomes its id
#    (JC_SQL_ACCT_BY_EMAIL, jc_sql.h). The lists themselves are skipped.
# 2. Where a file keeps labels in variables, parameters or tables, their
#    declarations become jc_sql_id_e (and NULL "no statement" becomes
#    JC_SQL_NONE): a table of exact texts per file name below. A text that
#    is not found (the code changed) is left alone; the compiler then names
#    the place ("makes pointer from integer").
# Idempotent: a second run changes nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
JC_SQL_LABELS=$(sed -nE 's/^JC_(EXEC|SELECT|SELECT_AS)\([A-Z0-9_]+, "(jc_[a-z0-9_]+)".*/\2/p' \
                "$TOP"/mod_jobcenter/jc_sql_*.h)
[ -n "$JC_SQL_LABELS" ] || { echo "$0: no statement lists found" >&2; exit 1; }
export JC_SQL_LABELS
for f in "$@"; do
    case "$f" in
    */jc_sql_*.h) continue ;;   # the lists: labels stay
    esac
    JC_SQL_FILE=$(basename "$f") perl -0777 -i -pe '
        BEGIN {
            %L = map { $_ => 1 } split /\n/, $ENV{JC_SQL_LABELS};
            # file => [old, new, ...]: label holders retyped
            %T = (
              "jc_export.c" => [
                "static const char *const x_labels[X_N] = {",
                "static const jc_sql_id_e x_labels[X_N] = {",
                "json_t **out, const char *label,",
                "json_t **out, jc_sql_id_e label," ],
              "jc_erase.c" => [
                "static const char *const erase_drops[] = {",
                "static const jc_sql_id_e erase_drops[] = {" ],
              "jc_konto.c" => [
                "static const char *const x_labels[X_N] = {",
                "static const jc_sql_id_e x_labels[X_N] = {",
                "static const char *const drops[] = {",
                "static const jc_sql_id_e drops[] = {" ],
              "jc_message_int.h" => [
                "jc_result_t *res, const char *label,\n",
                "jc_result_t *res, jc_sql_id_e label,\n",
                "const char *key, const char *label,",
                "const char *key, jc_sql_id_e label," ],
              "jc_message.c" => [
                "jc_result_t *res, const char *label,\n",
                "jc_result_t *res, jc_sql_id_e label,\n",
                "const char *key, const char *label,",
                "const char *key, jc_sql_id_e label," ],
              "jc_mfa.c" => [
                "const char *label, apr_pool_t *p)",
                "jc_sql_id_e label, apr_pool_t *p)" ],
              "jc_staff.c" => [
                ", *knr, *count_label, *list_label;",
                ", *knr;\n    jc_sql_id_e count_label, list_label;",
                "count_label = NULL;", "count_label = JC_SQL_NONE;",
                "(count_label ? ", "(count_label != JC_SQL_NONE ? ",
                "!count_label || ", "count_label == JC_SQL_NONE || ",
                "if (count_label) {", "if (count_label != JC_SQL_NONE) {" ],
              "jc_store_check.c" => [
                "        const char *label;\n        const char *table;",
                "        jc_sql_id_e label;\n        const char *table;",
                "const jc_sc_cfg_t *cfg, const char *label,",
                "const jc_sc_cfg_t *cfg, jc_sql_id_e label," ],
            );
        }
        s/"(jc_[a-z0-9_]+)"/exists $L{$1} ? "JC_SQL_" . uc(substr($1, 3)) : "\"$1\""/ge;
        my @t = @{ $T{$ENV{JC_SQL_FILE}} || [] };
        while (my ($old, $new) = splice(@t, 0, 2)) {
            s/\Q$old\E/$new/g;
        }
    ' "$f"
done
