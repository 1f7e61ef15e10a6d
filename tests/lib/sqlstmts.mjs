// The module's statements (the X-macro lists mod_jobcenter/jc_sql_*.h,
// see jc_sql.h) read from the source: [{id, label, sql, plan:
// 'hot'|'periodic'|null, cols: ['name', ...] | null, kind: 'exec'|
// 'select'|'select_as', as}] in table order. A statement is marked by a
// comment line "/* plan: hot */" or "/* plan: periodic */" directly above
// its entry. String macros (#define NAME "…") of jc_sql.h are expanded.
// cols are the declared result column names in lower case (JC_SELECT_AS:
// those of the statement it names). Used by tests/http/plans.test.mjs,
// tests/http/sql-columns.test.mjs and bench/growth.sh.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The lists in the order jc_sql_lists.h includes them (= statement id
// order).
export function listFiles(top = TOP) {
    const all = fs.readFileSync(path.join(top, 'mod_jobcenter/jc_sql_lists.h'), 'utf8');
    return [...all.matchAll(/^#include "(jc_sql_\w+\.h)"/gm)].map((m) => m[1]);
}

function cString(lit) {
    return lit.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' }[c] ?? c));
}

const STR = '"(?:[^"\\\\]|\\\\.)*"';

export function readStatements(top = TOP) {
    const hdr = fs.readFileSync(path.join(top, 'mod_jobcenter/jc_sql.h'), 'utf8');
    const macros = {};
    for (const m of hdr.matchAll(/^#define\s+(\w+)\s+("(?:[^"\\]|\\.)*")\s*$/gm)) macros[m[1]] = cString(m[2]);
    const out = [];
    let count = 0;
    const re = new RegExp('(\\/\\*\\s*plan:\\s*(hot|periodic)\\s*\\*\\/\\s*)?'
        + '^JC_(EXEC|SELECT|SELECT_AS)\\(\\s*([A-Z0-9_]+),\\s*"(jc_\\w+)",\\s*'
        + `((?:(?:${STR}|[A-Z_][A-Z0-9_]*)\\s*)+)`
        + '(?:,\\s*(\\([A-Z0-9_,\\s]+\\)|[A-Z0-9_]+)\\s*)?\\)', 'gm');
    for (const file of listFiles(top)) {
        const src = fs.readFileSync(path.join(top, 'mod_jobcenter', file), 'utf8');
        count += (src.match(/^JC_(EXEC|SELECT|SELECT_AS)\(/gm) || []).length;
        for (const m of src.matchAll(re)) {
            const parts = m[6].match(new RegExp(`${STR}|[A-Z_][A-Z0-9_]*`, 'g'));
            const sql = parts.map((p) => {
                if (p.startsWith('"')) return cString(p);
                if (!(p in macros)) throw new Error(`${file}: unknown macro ${p} in ${m[5]}`);
                return macros[p];
            }).join('');
            const kind = m[3].toLowerCase();
            let cols = null, as = null;
            if (kind === 'select') cols = m[7].slice(1, -1).split(',').map((c) => c.trim().toLowerCase());
            if (kind === 'select_as') as = m[7];
            out.push({ id: m[4], label: m[5], sql, plan: m[2] || null, kind, cols, as, file });
        }
    }
    for (const s of out) {
        if (s.kind !== 'select_as') continue;
        const o = out.find((x) => x.id === s.as && x.kind === 'select');
        if (!o) throw new Error(`${s.label}: JC_SELECT_AS names ${s.as}, no JC_SELECT`);
        s.cols = o.cols;
    }
    if (count !== out.length) throw new Error(`jc_sql_*.h: parsed ${out.length} of ${count} statements`);
    return out;
}

// The statement with its placeholders replaced by SQL literals: %lld by
// the next of ints (default 2; after LIMIT/OFFSET 20), %s by the next of
// strs (default 'x').
export function withValues(sql, { ints = [], strs = [] } = {}) {
    let i = 0, s = 0;
    return sql.replace(/(LIMIT |OFFSET )?%(lld|s)/g, (all, kw, t) => {
        if (t === 's') {
            const v = s < strs.length ? strs[s] : 'x';
            s++;
            return kw ? kw + `'${v}'` : `'${String(v).replace(/'/g, "''")}'`;
        }
        const v = i < ints.length ? ints[i] : (kw ? 20 : 2);
        i++;
        return (kw || '') + String(v);
    });
}
