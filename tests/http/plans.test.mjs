// Every statement of the statement table (mod_jobcenter/jc_sql.c) is
// planned by the database in use on a filled database (a few thousand rows
// per table, inserted directly, then ANALYZE): SQLite's EXPLAIN QUERY PLAN,
// PostgreSQL's EXPLAIN (FORMAT JSON), with the placeholders replaced by
// sample values. Statements marked "plan: hot" or "plan: periodic" next to
// their SQL must be answered from indexes: no full scan of a large table
// (SQLite "SCAN t", PostgreSQL "Seq Scan" or an index scan without a
// condition outside a LIMIT), no sort of a whole table (a temp B-tree or a
// Sort above such a scan), on PostgreSQL no Incremental Sort below a Limit
// (an index that gives only the first ORDER BY column). Purge statements
// delete small batches. Every other statement must at least plan (the
// SQL is valid against the schema). Issue 19.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { readStatements, withValues } from '../lib/sqlstmts.mjs';

const N = 3000;                 // rows per large table
const B = 900000;               // ids of the filled rows start above this
const JC = B + 1;               // the filled Jobcenter
const T0 = 1700000000;
// tables that stay small in any installation: a scan of them is fine
const SMALL = new Set(['jc_schema', 'jobcenter', 'staff', 'job_lease']);

// sample values of statements whose plan depends on them (the filled
// Jobcenter, a team, a name prefix, the first inbox page)
const BIG = '9223372036854775807';
const SAMPLES = {
    jc_msg_inbox_all: { ints: [JC, BIG, BIG, 51], strs: ['leistung'] },
    jc_msg_inbox_status: { ints: [JC, BIG, BIG, 51], strs: ['leistung', 'neu'] },
    jc_cust_search_knr: { ints: [JC], strs: ['P901234'] },
    jc_cust_count_plz: { ints: [JC], strs: ['10117'] },
    jc_cust_search_plz: { ints: [JC, 50, 0], strs: ['10117'] },
    jc_cust_count_name: { ints: [JC], strs: ['mei', 'mei\u{10FFFF}'] },
    jc_cust_search_name: { ints: [JC, 50, 0], strs: ['mei', 'mei\u{10FFFF}'] },
    jc_up_inbox: { ints: [JC], strs: ['leistung'] },
    // every unconfirmed account is due
    jc_acct_purge: { ints: [T0 + 10 * N] },
    jc_acct_purge_tokens: { ints: [T0 + 10 * N] },
    // the store reconcile pages through rows older than its grace: most
    jc_sc_rows_file: { ints: [B + 100, T0 + 10 * N] },
    jc_sc_rows_receipt: { ints: [B + 100, T0 + 10 * N] },
    jc_sc_rows_bescheid: { ints: [B + 100, T0 + 10 * N] },
};

function fillSql() {
    const n = (max) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${max}) `;
    return [
        `INSERT INTO jobcenter (id, name, street, postcode, city, phone, opening_hours, created_at) VALUES `
            + `(${JC}, 'Jobcenter Plan', 'Weg 1', '10115', 'Berlin', '030', 'Mo', ${T0})`,
        n(N) + `INSERT INTO account (id, email, password_hash, email_confirmed_at, created_at, updated_at, username, user_handle) `
            + `SELECT ${B} + i, 'plan' || i || '@example.org', 'x', CASE WHEN i % 10 = 0 THEN NULL ELSE ${T0} END, `
            + `${T0} + i, ${T0} + i, 'ba-p' || i, 'uh' || i FROM n`,
        `INSERT INTO staff (account_id, jobcenter_id, team, role, display_name, created_at) VALUES `
            + `(${B + 1}, ${JC}, 'leistung', 'sachbearbeitung', 'A', ${T0}), `
            + `(${B + 2}, ${JC}, 'but', 'sachbearbeitung', 'B', ${T0}), `
            + `(${B + 3}, ${JC}, 'vermittlung', 'admin', 'C', ${T0})`,
        n(N) + `INSERT INTO customer (id, jobcenter_id, kundennummer, given_name, family_name, birth_date, street, `
            + `postcode, city, account_id, created_by, created_at, name_key) SELECT ${B} + i, ${JC}, 'P9' || i, `
            + `'Anna' || (i % 97), 'Name' || (i % 211), '1980-01-01', 'Weg', '1' || (10000 + i % 500), 'Berlin', `
            + `CASE WHEN i > 3 THEN ${B} + i END, ${B + 1}, ${T0} + i, 'name' || (i % 211) || ' anna' || (i % 97) FROM n`,
        n(N) + `INSERT INTO session (id_hash, account_id, state, csrf_token, created_at, last_seen, expires_at) `
            + `SELECT 'plan' || i, ${B} + i, 4, 'c', ${T0} + i, ${T0} + i, ${T0} + 86400 + i FROM n`,
        n(N) + `INSERT INTO email_token (token_hash, account_id, email, purpose, created_at, expires_at) `
            + `SELECT 'plan' || i, ${B} + i, 'e', 'confirm', ${T0} + i, ${T0} + 86400 + i FROM n`,
        n(N) + `INSERT INTO login_throttle (client_key, failures, last_failure, blocked_until) `
            + `SELECT 'plan' || i, 1, ${T0} + i, 0 FROM n`,
        n(N) + `INSERT INTO mail_outbox (id, rcpt, subject, message, created_at, next_attempt_at, sent_at) `
            + `SELECT ${B} + i, 'r', 's', 'm', ${T0} + i, ${T0} + i, ${T0} + i FROM n`,
        n(N) + `INSERT INTO totp_factor (account_id, secret_sealed, created_at, confirmed_at) `
            + `SELECT ${B} + i, 's', ${T0}, ${T0} FROM n`,
        n(N) + `INSERT INTO passkey (id, account_id, cred_id, public_key, alg, created_at) `
            + `SELECT ${B} + i, ${B} + i, 'cred' || i, 'k', -7, ${T0} FROM n`,
        n(N) + `INSERT INTO webauthn_challenge (challenge_hash, purpose, account_id, created_at, expires_at) `
            + `SELECT 'plan' || i, 'login', ${B} + i, ${T0} + i, ${T0} + 300 + i FROM n`,
        n(N) + `INSERT INTO event (id, account_id, at, kind) SELECT ${B} + i, ${B} + i, ${T0} + i, 'login' FROM n`,
        n(N) + `INSERT INTO freischaltcode (id, customer_id, code_hash, created_by, created_at, expires_at) `
            + `SELECT ${B} + i, ${B} + i, 'plan' || i, ${B + 1}, ${T0}, ${T0} + 86400 FROM n`,
        n(N) + `INSERT INTO staff_audit (id, staff_account, at, action, customer_id) `
            + `SELECT ${B} + i, ${B + 1}, ${T0} + i, 'a', ${B} + i FROM n`,
        n(N) + `INSERT INTO online_consent (account_id, active_since, text_version, updated_at) `
            + `SELECT ${B} + i, ${T0}, 'v', ${T0} FROM n`,
        n(N) + `INSERT INTO online_consent_history (id, account_id, at, action, text_version) `
            + `SELECT ${B} + i, ${B} + i, ${T0}, 'consent', 'v' FROM n`,
        n(N) + `INSERT INTO jobcenter_postcode (postcode, jobcenter_id) SELECT 'p' || i, ${JC} FROM n`,
        n(N) + `INSERT INTO upload_draft (id, account_id, customer_id, area, created_at) `
            + `SELECT ${B} + i, ${B} + i, ${B} + i, 'geldleistung', ${T0} + i FROM n`,
        n(N) + `INSERT INTO upload_submission (id, reference, area, team, jobcenter_id, customer_id, account_id, `
            + `verify_hash, idempotency_key, receipt_store_id, nfiles, submitted_at, status_at) `
            + `SELECT ${B} + i, 'ref' || i, 'geldleistung', 'leistung', ${JC}, ${B} + i, ${B} + i, 'v', 'k' || i, `
            + `'rcpt' || i, 1, ${T0} + i, ${T0} + i FROM n`,
        n(N) + `INSERT INTO conversation (id, jobcenter_id, customer_id, account_id, anliegen, team, subject, status, `
            + `idempotency_key, created_at, updated_at) SELECT ${B} + i, ${JC}, ${B} + i, ${B} + i, 'a', `
            + `CASE i % 3 WHEN 0 THEN 'leistung' WHEN 1 THEN 'but' ELSE 'vermittlung' END, 's', `
            + `CASE i % 3 WHEN 0 THEN 'neu' WHEN 1 THEN 'in_bearbeitung' ELSE 'erledigt' END, 'k' || i, `
            + `${T0} + i, ${T0} + i FROM n`,
        n(2 * N) + `INSERT INTO message (id, conversation_id, staff_account, body, created_at) `
            + `SELECT ${B} + i, ${B} + 1 + (i - 1) / 2, CASE WHEN i % 2 = 0 THEN ${B + 1} END, 'b', ${T0} + i FROM n`,
        n(3 * N) + `INSERT INTO upload_file (id, account_id, draft_id, submission_id, message_id, store_id, name, mime, `
            + `size, sha256, created_at) SELECT ${B} + i, ${B} + 1 + i % ${N}, `
            + `CASE WHEN i % 3 = 0 THEN ${B} + 1 + i % ${N} END, CASE WHEN i % 3 = 1 THEN ${B} + 1 + i % ${N} END, `
            + `CASE WHEN i % 3 = 2 THEN ${B} + 1 + i % ${2 * N} END, 'f' || i, 'n', 'application/pdf', 1, 'h', ${T0} + i FROM n`,
        n(N) + `INSERT INTO tus_upload (id, token, account_id, draft_id, spool_id, name, length, upload_offset, `
            + `file_id, created_at, expires_at) SELECT ${B} + i, 't' || i, ${B} + i, ${B} + i, 's' || i, 'n', 10, 0, `
            + `CASE WHEN i % 2 = 0 THEN ${B} + i END, ${T0} + i, ${T0} + 86400 + i FROM n`,
        n(N) + `INSERT INTO bescheid (id, jobcenter_id, customer_id, title, store_id, name, size, sha256, posted_by, `
            + `provided_at, delivered_on, opened_at) SELECT ${B} + i, ${JC}, ${B} + i, 't', 'b' || i, 'n', 1, 'h', `
            + `${B + 1}, ${T0} + i, '2024-01-01', CASE WHEN i % 50 = 0 THEN NULL ELSE ${T0} END FROM n`,
        n(N) + `INSERT INTO termin (id, jobcenter_id, customer_id, team, termin_date, termin_time, place, contact, `
            + `posted_by, created_at) SELECT ${B} + i, ${JC}, ${B} + i, 'leistung', '2025-01-01', '10:00', 'p', 'c', `
            + `${B + 1}, ${T0} FROM n`,
        'ANALYZE',
    ];
}

// SQLite: the problems of one EXPLAIN QUERY PLAN
function sqliteProblems(text) {
    const lines = text.split('\n');
    const out = [];
    // a subquery's rows (CO-ROUTINE x, MATERIALIZE x) are no table
    const sub = new Set([...text.matchAll(/(?:CO-ROUTINE|MATERIALIZE) (\w+)/g)].map((m) => m[1]));
    const scans = lines.filter((l) => /\bSCAN (\w+)/.test(l) && !/\bSCAN CONSTANT ROW\b/.test(l))
        .filter((l) => { const t = l.match(/\bSCAN (\w+)/)[1]; return !SMALL.has(t) && !sub.has(t); });
    // a table aliased in the SQL shows under its alias: resolved by the caller
    for (const l of scans) out.push(`full scan: ${l.trim()}`);
    if (scans.length && lines.some((l) => /USE TEMP B-TREE FOR ORDER BY/.test(l)))
        out.push('sort of a scanned table (USE TEMP B-TREE FOR ORDER BY)');
    return out;
}

// PostgreSQL: the problems of one EXPLAIN (FORMAT JSON)
function pgProblems(plan) {
    const out = [];
    const walk = (node, underLimit) => {
        const rel = node['Relation Name'];
        const large = rel && !SMALL.has(rel);
        const t = node['Node Type'];
        if (large && t === 'Seq Scan') out.push(`Seq Scan on ${rel}`);
        if (large && (t === 'Index Scan' || t === 'Index Only Scan') && !node['Index Cond'] && !underLimit)
            out.push(`${t} on ${rel} without a condition`);
        // ORDER BY a, b LIMIT n from an index on a alone: every row that
        // shares a value of a is read and sorted before the first n come
        // out (the oldest unconfirmed accounts: 10,000 heap pages for a
        // batch when they shared a second); the index must give the whole
        // order. (SQLite appends the rowid to every index entry, so an
        // ORDER BY ..., id there is given by an index on the rest.)
        if (underLimit && t === 'Incremental Sort')
            out.push(`${t} below a Limit (${(node['Sort Key'] || []).join(', ')}; `
                + `presorted ${(node['Presorted Key'] || []).join(', ')})`);
        for (const c of node.Plans || []) walk(c, underLimit || t === 'Limit');
    };
    walk(plan, false);
    return out;
}

describe(`statement plans (${DB_KIND})`, () => {
    const h = useEnv();
    const stmts = readStatements();

    test('the statement table is marked: hot and periodic statements are found', () => {
        assert.ok(stmts.length > 150, `only ${stmts.length} statements parsed`);
        const marked = stmts.filter((s) => s.plan);
        assert.ok(marked.length >= 40, `only ${marked.length} marked`);
        for (const l of ['jc_sess_get', 'jc_sess_purge', 'jc_msg_inbox_all', 'jc_cust_search_name'])
            assert.ok(marked.some((s) => s.label === l), `${l} is not marked`);
    });

    test(`every statement plans; hot and periodic ones use indexes (${N} rows per table)`, async () => {
        const db = h.env.db;
        // Apache started (every statement prepared against the schema);
        // stopped now, so that its watchdog neither purges nor reconciles
        // the filled rows under the test
        await h.env.apache.stop();
        assert.ok(!h.env.apache.killed, 'Apache had to be killed');
        for (const sql of fillSql()) await db.exec(sql);
        const failures = [];
        const report = [];
        for (const s of stmts) {
            const sql = withValues(s.sql, SAMPLES[s.label]);
            let problems;
            let shown;
            if (db.kind === 'sqlite') {
                // aliases ("FROM conversation c") show as "SCAN c": map them back
                const alias = {};
                for (const m of sql.matchAll(/\b(?:FROM|JOIN)\s+(\w+)\s+(?!WHERE|JOIN|ON|LEFT|ORDER|GROUP|LIMIT|SET|VALUES)(\w+)/gi))
                    alias[m[2]] = m[1];
                shown = await db.text(`EXPLAIN QUERY PLAN ${sql}`);
                const resolved = shown.replace(/\bSCAN (\w+)/g, (a, t) => `SCAN ${alias[t] || t}`);
                problems = sqliteProblems(resolved);
            }
            else {
                shown = await db.text(`EXPLAIN (FORMAT JSON) ${sql}`);
                problems = pgProblems(JSON.parse(shown)[0].Plan);
            }
            report.push(`${s.plan || '-'} ${s.label}: ${problems.join('; ') || 'ok'}`);
            if (s.plan && problems.length)
                failures.push(`${s.label} (${s.plan}): ${problems.join('; ')}\n  ${sql}\n  ${shown.trim().split('\n').join('\n  ')}`);
        }
        if (process.env.JC_PLANS_VERBOSE) console.log(report.join('\n'));
        assert.deepEqual(failures, [], failures.join('\n\n'));
    });

    // a purge batch is one write transaction: on SQLite every writer waits
    // for it. Rows due are scattered (a page write each, on SQLite one per
    // index too) and each deleted account costs PostgreSQL an index probe
    // of all 23 columns that reference account: at 1,000,000 rows 100
    // sessions took up to 17 ms and 100 accounts 50-90 ms (target < 10 ms,
    // bench/run.sh growth)
    test('purge statements delete at most 25 rows per batch, unconfirmed accounts at most 5', () => {
        const periodicDeletes = stmts.filter((s) => s.plan === 'periodic' && /^DELETE\b/.test(s.sql)
            && /\bLIMIT\b/.test(s.sql));
        assert.ok(periodicDeletes.length >= 8, `only ${periodicDeletes.length} purge statements found`);
        const big = periodicDeletes.map((s) => {
            const n = Number(/\bLIMIT (\d+)/.exec(s.sql)?.[1]);
            return { label: s.label, n, max: /^jc_acct_purge/.test(s.label) ? 5 : 25 };
        }).filter((x) => !(x.n > 0 && x.n <= x.max));
        assert.deepEqual(big.map((x) => `${x.label}: LIMIT ${x.n} (at most ${x.max})`), []);
    });

    // a DELETE of a parent row makes the database look for referencing rows
    // (PostgreSQL always; SQLite with foreign_keys on): a column that
    // references a table rows are deleted from (the account purge, Konto
    // löschen, the draft purge) must lead an index, or each deleted row
    // costs a scan of the referencing table, unseen by any plan above
    test('every column referencing account or upload_draft leads an index', async () => {
        const db = h.env.db;
        const missing = db.kind === 'sqlite'
            ? await db.query(`SELECT m.name AS t, f."from" AS c FROM sqlite_master m, pragma_foreign_key_list(m.name) f
                WHERE m.type = 'table' AND f."table" IN ('account', 'upload_draft')
                AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) il, pragma_index_info(il.name) ii
                                WHERE ii.seqno = 0 AND ii.name = f."from")
                AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) ti WHERE ti.pk = 1 AND ti.name = f."from")`)
            : await db.query(`SELECT c.conrelid::regclass::text AS t, a.attname AS c FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid IN ('account'::regclass, 'upload_draft'::regclass)
                AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])`);
        assert.deepEqual(missing.map((r) => `${r.t}.${r.c}`), []);
    });

    logTest();
});
