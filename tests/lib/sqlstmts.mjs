// The module's statement table (mod_jobcenter/jc_sql.c) read from the
// source: [{label, sql, plan: 'hot'|'periodic'|null}]. A statement is
// marked by a comment line "/* plan: hot */" or "/* plan: periodic */"
// directly above its entry. String macros (#define NAME "…") of jc_sql.h
// are expanded. Used by tests/http/plans.test.mjs and bench/run.sh growth.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function cString(lit) {
    return lit.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' }[c] ?? c));
}

export function readStatements(top = TOP) {
    const src = fs.readFileSync(path.join(top, 'mod_jobcenter/jc_sql.c'), 'utf8');
    const hdr = fs.readFileSync(path.join(top, 'mod_jobcenter/jc_sql.h'), 'utf8');
    const macros = {};
    for (const m of hdr.matchAll(/^#define\s+(\w+)\s+("(?:[^"\\]|\\.)*")\s*$/gm)) macros[m[1]] = cString(m[2]);
    const body = src.slice(src.indexOf('statements[] = {'), src.indexOf('{ NULL, NULL }'));
    const out = [];
    const re = /(\/\*\s*plan:\s*(hot|periodic)\s*\*\/\s*)?\{\s*"(jc_\w+)",\s*((?:(?:"(?:[^"\\]|\\.)*"|[A-Z_][A-Z0-9_]*)\s*)+)\}/g;
    for (const m of body.matchAll(re)) {
        const parts = m[4].match(/"(?:[^"\\]|\\.)*"|[A-Z_][A-Z0-9_]*/g);
        const sql = parts.map((p) => {
            if (p.startsWith('"')) return cString(p);
            if (!(p in macros)) throw new Error(`jc_sql.c: unknown macro ${p} in ${m[3]}`);
            return macros[p];
        }).join('');
        out.push({ label: m[3], sql, plan: m[2] || null });
    }
    const count = (body.match(/\{\s*"jc_\w+",/g) || []).length;
    if (count !== out.length) throw new Error(`jc_sql.c: parsed ${out.length} of ${count} statements`);
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
