// A complete, private test environment for one test file (or one describe
// block): its own Apache (tools/gen-config.sh), its own SMTP sink (in this
// process) and its own database: a fresh SQLite file, or a fresh database
// in the PostgreSQL cluster that tests/run.mjs started for the whole run
// (JC_PG_HOST/JC_PG_PORT). Run standalone (node --test FILE) with
// JC_DB=pgsql and no cluster, the environment starts a cluster of its own.
//
//   import { useEnv } from '../lib/env.mjs';
//   const h = useEnv({ sets: ['JobcenterConfirmTTL 2'] });   // before/after hooks
//   test('…', async () => { h.env.api … });
//   logTest();            // last test of the file: stop Apache(s), check error.log
//
// Node 20 runs ROOT-level before() hooks concurrently: a hook that needs
// h.env must sit in a describe() block together with the useEnv() call
// (hooks of a describe block run in order).
//
// startEnv() options:
//   db          'sqlite' | 'pgsql' (default JC_DB or sqlite)
//   sets        extra "Directive value" lines (gen-config --set)
//   mail        'smtp' (default) | 'spool'
//   smtp        true (default): start the sink; false: only reserve its port
//               (the relay is "down"; start it later with env.startSmtp())
//   smtpDelayMs the sink answers each message that much later (slow relay)
//   baseUrl     --base-url, a string or (port) => string (default: gen-config's
//               http://127.0.0.1:PORT)
//   extra       config text Included at the end (gen-config --extra), a
//               string or (env) => string (env.port, env.root are set)
//   beforeStart async (env) => {}   e.g. tamper with the database
//   waitReady   false: do not wait for the API (start-up failure tests)
//   shareDb     another environment: this one uses its database and key
//               file (no fresh database, no db-init): several Apache nodes
//               on one database
//   allowLog    RegExps of [error]/[crit]/[alert]/[emerg] lines this
//               environment provokes on purpose
//   contentDir  gen-config --content-dir: the operator's texts of the
//               footer pages (default: conf/betreiber, the shipped examples)
//   tz          the TZ Apache runs in (default 'UTC'; the tests themselves
//               run in Europe/Berlin, the time people read, see below)
//   pgCluster   a cluster of the test's own (tests/lib/pg.mjs startCluster,
//               e.g. with a small max_connections): the environment's
//               database is created there instead of the run's cluster
//   pgParams    (pg) => DBDParams: connect Apache elsewhere than to the
//               environment's database directly (pg: {host, port, dbname};
//               e.g. through PgBouncer); env.db still talks to PostgreSQL
//   share       another (started) environment: a second node of it, with
//               its database (SQLite file or PostgreSQL database), upload
//               store, key file and SMTP sink (env.mail stays null here);
//               db is taken from it
//   pgStatements 'prepared' | 'unnamed': JobcenterPgStatements on
//               PostgreSQL (default: JC_PG_STATEMENTS, else the module's
//               default, prepared). JC_PG_STATEMENTS=unnamed runs any test
//               file with unnamed statements (docs/internals.md)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, freePort, waitUntil, sleep } from './util.mjs';
import { startSmtp } from './smtp.mjs';
import { Apache, generateConfig, unexpectedLogLines, sanitizerReports, ASAN } from './apache.mjs';
import { openDb } from './db.mjs';
import { startCluster, clusterFromEnv, createDatabase, openPath } from './pg.mjs';
import { Client } from './http.mjs';
import { WORKER } from './worker.mjs';

// The test processes compute dates as people in Germany read them (the
// portal shows German time whatever the server's TZ is); Apache gets its
// own TZ (startEnv's tz, default UTC).
process.env.TZ = 'Europe/Berlin';

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DB_KIND = process.env.JC_DB || 'sqlite';

let ownCluster = null;      // standalone pgsql runs only
async function cluster() {
    const c = clusterFromEnv();
    if (c) return c;
    if (!ownCluster) ownCluster = await startCluster(fs.mkdtempSync(path.join(tmpBase(), 'pg-')));
    return ownCluster;
}

function tmpBase() {
    const base = process.env.JC_TMP || os.tmpdir();
    fs.mkdirSync(base, { recursive: true });
    return base;
}

export async function startEnv(opts = {}) {
    const share = opts.share || null;
    const {
        db: dbKind = share ? share.dbKind : DB_KIND, sets = [], mail = 'smtp', smtp = !share, baseUrl,
        beforeStart, waitReady = true, allowLog = []
    } = opts;
    const root = fs.mkdtempSync(path.join(tmpBase(), 'env-'));
    openPath(root);
    const env = {
        root, dbKind, allowLog: [...allowLog], mail: null, apache: null, db: null,
        stopped: false
    };
    try {
        env.port = await freePort();
        env.base = `http://127.0.0.1:${env.port}`;
        env.smtpPort = mail === 'smtp' ? (share ? share.smtpPort : await freePort()) : null;
        if (mail === 'smtp' && smtp) env.mail = await startSmtp({ port: env.smtpPort, delayMs: opts.smtpDelayMs || 0 });

        const args = ['--root', path.join(root, 'apache'), '--port', String(env.port), '--db', dbKind,
            '--mail', mail, '--user', WORKER.user];
        if (mail === 'smtp') args.push('--smtp-url', `smtp://127.0.0.1:${env.smtpPort}`);
        if (opts.contentDir) args.push('--content-dir', opts.contentDir);
        if (baseUrl) args.push('--base-url', typeof baseUrl === 'function' ? baseUrl(env.port) : baseUrl);
        if (share) {
            env.storeDir = share.storeDir || path.join(share.apacheRoot, 'uploads');
            args.push('--secret-key', path.join(share.apacheRoot, 'secret.key'),
                '--set', `JobcenterUploadStore "${env.storeDir}"`);
            if (dbKind === 'sqlite') args.push('--sqlite-file', share.sqliteFile);
        }
        // functional tests fire bursts of logins/registrations (12, 48 at
        // once) on one child: a long hashing queue keeps them from the
        // admission 503 (tests/security/*admission* set their own)
        for (const s of ['JobcenterMailInterval 1', 'JobcenterMailRetry 1 2', 'JobcenterHashQueue 256 60000', ...sets]) {
            args.push('--set', s);
        }
        const pgStatements = opts.pgStatements || process.env.JC_PG_STATEMENTS;
        if (dbKind === 'pgsql' && pgStatements) args.push('--set', `JobcenterPgStatements ${pgStatements}`);

        // share: a second node on another environment's database, store,
        // key and SMTP sink; shareDb: on its database and key only
        const shared = share || opts.shareDb || null;
        if (opts.shareDb && !share) {
            if (shared.dbKind !== dbKind) throw new Error('shareDb: the other environment runs on ' + shared.dbKind);
            args.push('--secret-key', path.join(shared.apacheRoot, 'secret.key'));
            if (dbKind === 'sqlite') args.push('--sqlite-file', shared.sqliteFile);
        }
        if (shared && dbKind === 'pgsql') {
            env.pg = { ...shared.pg };
            args.push('--pg-params', `host=${env.pg.host} port=${env.pg.port} dbname=${env.pg.dbname} user=jc`);
        } else if (dbKind === 'pgsql') {
            const c = opts.pgCluster || await cluster();
            env.pg = { host: c.host, port: c.port, dbname: await createDatabase(c, TOP) };
            args.push('--pg-params', opts.pgParams ? opts.pgParams(env.pg)
                : `host=${c.host} port=${c.port} dbname=${env.pg.dbname} user=jc`);
        }
        if (opts.extra) {
            const file = path.join(root, 'extra.conf');
            fs.writeFileSync(file, typeof opts.extra === 'function' ? opts.extra(env) : opts.extra);
            args.push('--extra', file);
        }
        env.conf = await generateConfig(TOP, args);
        env.apacheRoot = path.join(root, 'apache');
        env.mailDir = path.join(env.apacheRoot, 'mail');
        if (dbKind === 'sqlite') {
            env.sqliteFile = shared ? shared.sqliteFile : path.join(env.apacheRoot, 'db', 'jobcenter.sqlite');
            if (!shared) await run(path.join(TOP, 'tools', 'db-init.sh'), ['sqlite', env.sqliteFile]);
            env.db = openDb({ kind: 'sqlite', file: env.sqliteFile });
        } else {
            env.db = openDb({ kind: 'pgsql', ...env.pg });
        }
        await run('chown', ['-R', WORKER.owner, path.join(env.apacheRoot, 'db'), env.mailDir]);
        openPath(path.join(env.apacheRoot, 'logs'));

        // for code that reads the brief's variables: the newest environment
        Object.assign(process.env, {
            JC_BASE: env.base, JC_ENV_ROOT: env.apacheRoot, JC_SMTP_PORT: String(env.smtpPort || ''),
            ...(env.pg ? { JC_PG_DBNAME: env.pg.dbname } : {})
        });
        env.startSmtp = async () => {
            if (!env.mail) env.mail = await startSmtp({ port: env.smtpPort });
            return env.mail;
        };
        env.client = (o = {}) => new Client(env.base, o);
        env.api = env.client();
        if (beforeStart) await beforeStart(env);

        env.apache = new Apache({ conf: env.conf, root: env.apacheRoot, port: env.port, tz: opts.tz || 'UTC' });
        await env.apache.start({ waitReady });
    } catch (e) {
        await stopEnv(env).catch(() => {});
        throw e;
    }
    env.stop = () => (env.stopping ||= stopEnv(env));
    env.errorLog = () => (env.apache ? env.apache.logText() : '');
    env.unexpectedLogLines = () => unexpectedLogLines(env.errorLog(), env.allowLog);
    return env;
}

async function stopEnv(env) {
    if (env.stopped) return;
    env.stopped = true;
    // Let a running outbox delivery finish first (bounded): a stop in the
    // middle of one makes a child abort (see mail.test.mjs), which would
    // fail the error-log check of files that do not test that.
    if (env.apache && env.apache.isRunning() && env.db && env.mail) {
        const due = `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= ${Math.floor(Date.now() / 1000)}`;
        await waitUntil(async () => Number(await env.db.scalar(due)) === 0, { timeoutMs: 3000, intervalMs: 100 })
            .then(() => sleep(150)).catch(() => {});
    }
    if (env.apache) await env.apache.stop();
    if (env.mail) await env.mail.close();
}

// Every environment registered by useEnv() in this file.
const handles = [];

// Register before/after hooks for an environment in the current scope (file
// or describe block); h.env is set once `before` has run. The scope's after
// hook only STARTS the stop (Apache takes ~1.5 s to exit), so the next
// block's environment can come up meanwhile; logTest() at the end of the
// file waits for all of them and checks their error logs.
export function useEnv(opts = {}) {
    const h = { env: null, opts };
    handles.push(h);
    before(async () => {
        h.env = await startEnv(opts);
    });
    after(() => {
        if (h.env) h.env.stop().catch(() => {});
    });
    return h;
}

// The last test of a file: every environment of the file is stopped
// (bounded), and the test fails on Apache having to be killed, on
// [error]/[crit]/[alert]/[emerg] lines its error.log should not have, or
// (JC_ASAN=1) on any AddressSanitizer/UBSan report file.
export function logTest(name = `${path.basename(process.argv[1] || 'this file')}: Apache stops cleanly; `
    + 'error.log has no unexpected [error]/[crit]/[alert]/[emerg] lines'
    + (ASAN ? '; no ASan/UBSan report' : '')) {
    test(name, async () => {
        assert.ok(handles.length > 0, 'no environment in this file');
        await Promise.all(handles.map((h) => h.env && h.env.stop()));
        const problems = [];
        for (const [i, h] of handles.entries()) {
            if (!h.env) {
                problems.push(`environment #${i + 1} (${JSON.stringify(h.opts.sets || [])}) was never started`);
                continue;
            }
            if (h.env.apache && h.env.apache.killed) {
                problems.push(`${h.env.conf}: Apache did not stop within 15 s and was killed`);
            }
            // JC_ASAN=1 (tests/lib/apache-asan.sh): any ASan/UBSan report
            for (const r of sanitizerReports(h.env.apacheRoot)) {
                problems.push(`sanitizer report ${r.file}:\n${r.text.trimEnd()}`);
            }
            const bad = h.env.unexpectedLogLines();
            if (bad.length) {
                // the whole log (its last 40 lines) for context: the temp dir
                // is gone after the run
                const tail = h.env.errorLog().trimEnd().split('\n').slice(-40).join('\n');
                problems.push(`${h.env.apache.errorLog}:\n${bad.join('\n')}\n--- error.log (tail) ---\n${tail}`);
            }
        }
        assert.deepEqual(problems, [], `\n${problems.join('\n\n')}`);
    });
}

// Safety net on the file's root: nothing keeps running after the file. One
// hook only: Node 20 runs root-level before/after hooks concurrently, so
// their order (Apache first, then a standalone cluster) lives in one hook.
after(async () => {
    await Promise.all(handles.map((h) => h.env && h.env.stop().catch(() => {})));
    if (ownCluster) {
        await ownCluster.stop();
        fs.rmSync(path.dirname(ownCluster.dataDir), { recursive: true, force: true });
    }
    // under tests/run.mjs the whole JC_TMP tree goes at the end
    if (!process.env.JC_TMP && !process.env.JC_KEEP_TMP) {
        for (const h of handles) if (h.env) fs.rmSync(h.env.root, { recursive: true, force: true });
    }
});
