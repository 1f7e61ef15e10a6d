#!/usr/bin/env node
// mod_jobcenter test runner (called by ./build.sh test):
//
//   node tests/run.mjs --db sqlite|pgsql --suite http|security|browser [FILTER...]
//   node tests/run.mjs --db pgsql --suite cluster [FILTER...]
//   node tests/run.mjs --db sqlite --suite deb   (the Debian package on the
//                                                  system Apache, tests/deb/)
//
// Exit code 0 = every test passed. FILTER (optional) keeps only test files
// whose name contains one of the words, e.g. `… --suite http login session`.
//
// How the harness is structured
// -----------------------------
// node:test's run() executes every test file in a subprocess of its own, so
// the environment is per FILE, not per run:
//
// * this runner prepares only what is shared and expensive:
//   - JC_TMP: one temp dir (chmod 755) under which everything of the run lives;
//   - for --db pgsql: ONE throw-away PostgreSQL cluster (initdb as postgres
//     into JC_TMP/pg, unix socket only, listen_addresses='', random port,
//     role jc), described to the files by JC_PG_HOST (socket dir), JC_PG_PORT,
//     JC_PG_BIN; stopped (pg_ctl -m fast) and removed at the end;
//   - JC_DB (sqlite|pgsql), JC_ROOT (the checkout), JC_SUITE.
// * JC_ASAN=1 (set by the caller): every Apache loads build/asan/
//   mod_jobcenter.so (`make asan`) with the ASan runtime preloaded
//   (tests/lib/apache-asan.sh); a sanitizer report fails the file (logTest)
//   and the run.
// * each test file calls useEnv()/startEnv() from tests/lib/env.mjs, which
//   starts, inside the test file's process: an SMTP sink (npm smtp-server,
//   loopback, random port; mails are parsed and queryable with
//   `await env.mail.waitFor(rcpt, {subject, timeoutMs})`), a fresh database
//   (a new SQLite file via tools/db-init.sh, or CREATE DATABASE jc_<random>
//   OWNER jc in the shared cluster plus the schema) and an Apache configured
//   by tools/gen-config.sh (random loopback port, --mail smtp, mail interval
//   1 s, retry 1..2 s, plus the file's own --set directives). The env object
//   carries what the brief calls JC_BASE / JC_SMTP_PORT / JC_PG_* (env.base,
//   env.smtpPort, env.pg); they are also exported as environment variables
//   of the test process for the newest environment.
// * Each environment is stopped in an after() hook (apache2 -k stop, bounded
//   wait, SIGKILL by pid as a last resort; an exit handler kills any Apache
//   the file started). The last test of every environment (h.logTest())
//   stops Apache and fails on [error]/[crit]/[alert]/[emerg] lines in its
//   error.log that the file did not allow explicitly (useEnv({allowLog})).
// * --suite cluster (PostgreSQL only): no shared cluster; each file starts
//   its own PostgreSQL primary + standby, two Apache nodes and HAProxy
//   (tests/lib/cluster.mjs).
// * Files run one at a time (concurrency 1), spec reporter on stdout. At the
//   end the runner stops the cluster, kills (by pid) any apache2/postgres
//   process whose command line still points into JC_TMP, removes JC_TMP
//   (JC_KEEP_TMP=1 keeps it) and prints a summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import { startCluster, openPath } from './lib/pg.mjs';
import { sleep } from './lib/util.mjs';
import { sanitizerReports } from './lib/sanitizer.mjs';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function usage(msg) {
    if (msg) console.error(`run.mjs: ${msg}`);
    console.error('usage: node tests/run.mjs --db sqlite|pgsql --suite http|security|browser|cluster|deb [FILTER...]');
    process.exit(2);
}

const argv = process.argv.slice(2);
let db = null, suite = null;
const filters = [];
for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--db') db = argv[++i];
    else if (a.startsWith('--db=')) db = a.slice(5);
    else if (a === '--suite') suite = argv[++i];
    else if (a.startsWith('--suite=')) suite = a.slice(8);
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else filters.push(a);
}
if (!['sqlite', 'pgsql'].includes(db)) usage('--db must be sqlite or pgsql');
if (!['http', 'security', 'browser', 'cluster', 'deb'].includes(suite)) {
    usage('--suite must be http, security, browser, cluster or deb');
}
if (suite === 'deb' && db !== 'sqlite') usage('--suite deb runs on SQLite only (--db sqlite: the package\'s database)');
if (suite === 'cluster' && db !== 'pgsql') usage('--suite cluster runs on PostgreSQL only (--db pgsql)');
if (!fs.existsSync(path.join(TOP, 'build', 'mod_jobcenter.so'))) {
    usage('build/mod_jobcenter.so is missing: run `make` first');
}
// JC_ASAN=1: the module built by `make asan` (tests/lib/apache-asan.sh)
const asan = process.env.JC_ASAN === '1';
if (asan && !fs.existsSync(process.env.JC_MODULE_SO || path.join(TOP, 'build', 'asan', 'mod_jobcenter.so'))) {
    usage('JC_ASAN=1 but build/asan/mod_jobcenter.so is missing: run `make asan` first');
}
if (process.getuid && process.getuid() !== 0) {
    usage('must run as root (Apache binds as root and switches to the worker user of tests/lib/worker.mjs; PostgreSQL runs as postgres)');
}

const suiteDir = path.join(TOP, 'tests', suite);
const files = fs.readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.mjs'))
    .filter((f) => !filters.length || filters.some((w) => f.includes(w)))
    .sort()
    .map((f) => path.join(suiteDir, f));
if (!files.length) usage(`no test files in ${suiteDir}${filters.length ? ' matching ' + filters.join(', ') : ''}`);

const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `jc-tests-${db}-${suite}-`));
openPath(tmp);
let cluster = null;
let cleaned = false;

// Kill, by pid, every apache2 / postgres / haproxy / pgbouncer process whose command line still
// points into our temp dir (left behind by a crashed test file).
async function sweep() {
    const leftovers = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
        let cmd = '';
        try { cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
        if (cmd.includes(tmp) && /(apache2|postgres|haproxy|pgbouncer)/.test(cmd)) leftovers.push({ pid: Number(d), cmd });
    }
    for (const p of leftovers) {
        console.error(`run.mjs: killing leftover process ${p.pid}: ${p.cmd}`);
        try { process.kill(p.pid, /postgres/.test(p.cmd) && !/pgbouncer/.test(p.cmd) ? 'SIGQUIT' : 'SIGTERM'); } catch { /* gone */ }
    }
    if (leftovers.length) {
        await sleep(2000);
        for (const p of leftovers) {
            try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
        }
    }
    return leftovers.length;
}

async function cleanup() {
    if (cleaned) return 0;
    cleaned = true;
    if (cluster) {
        try { await cluster.stop(); } catch (e) { console.error(`run.mjs: stopping PostgreSQL: ${e.message}`); }
    }
    const n = await sweep();
    if (process.env.JC_KEEP_TMP) {
        console.log(`run.mjs: kept ${tmp}`);
    } else {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    return n;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, async () => {
        console.error(`run.mjs: ${sig}, cleaning up`);
        await cleanup();
        process.exit(130);
    });
}

try {
    if (db === 'pgsql' && suite !== 'cluster') {
        const t0 = Date.now();
        cluster = await startCluster(path.join(tmp, 'pg'));
        console.log(`# PostgreSQL cluster up in ${Date.now() - t0} ms (socket ${cluster.host}, port ${cluster.port})`);
    }
} catch (e) {
    console.error(`run.mjs: cannot start PostgreSQL: ${e.message}`);
    await cleanup();
    process.exit(1);
}

Object.assign(process.env, {
    JC_DB: db, JC_SUITE: suite, JC_ROOT: TOP, JC_TMP: tmp,
    ...(cluster ? { JC_PG_HOST: cluster.host, JC_PG_PORT: String(cluster.port), JC_PG_BIN: cluster.bin } : {})
});

console.log(`# mod_jobcenter ${suite} tests on ${db}: ${files.map((f) => path.basename(f)).join(', ')}`);
const counts = { pass: 0, fail: 0, skip: 0, todo: 0 };
const failed = [];
const stream = run({ files, concurrency: 1, timeout: 180000 });
stream.on('test:pass', (d) => {
    if (d.details && d.details.type === 'suite') return;
    if (d.skip) counts.skip++;
    else if (d.todo) counts.todo++;
    else counts.pass++;
});
stream.on('test:fail', (d) => {
    if (d.details && d.details.type === 'suite') return;
    counts.fail++;
    // tests defined in tests/lib (the log check) carry the file in their name
    const where = d.file && !d.file.includes(`${path.sep}lib${path.sep}`) ? `${path.basename(d.file)}: ` : '';
    failed.push(`${where}${d.name}`);
});
stream.compose(new spec()).pipe(process.stdout);
await new Promise((resolve) => stream.on('end', resolve));
// let the reporter flush
await sleep(100);

// JC_ASAN=1: a report left in any ServerRoot of the run (also of an
// `apache2 -t` outside an environment) fails the run; the file's own
// logTest() has printed those of its environments already
const reports = [];
(function findReports(dir, depth) {
    let entries = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
        if (!e.isDirectory()) continue;
        // apache-asan.sh makes SERVERROOT/asan
        if (e.name === 'asan') reports.push(...sanitizerReports(dir));
        else if (depth < 4 && e.name !== 'pg') findReports(path.join(dir, e.name), depth + 1);
    }
})(tmp, 0);
for (const r of reports) {
    const lines = r.text.trimEnd().split('\n');
    console.log(`\n# sanitizer report ${r.file}:\n${lines.slice(0, 40).join('\n')}`
        + (lines.length > 40 ? `\n(${lines.length - 40} more lines)` : ''));
}

const swept = await cleanup();
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\n# ${suite} on ${db}${asan ? ' (module with ASan+UBSan)' : ''}: ${counts.pass} passed,`
    + ` ${counts.fail} failed, ${counts.skip} skipped in ${secs} s`);
if (reports.length) console.log(`# ${reports.length} sanitizer report(s), printed above`);
if (failed.length) console.log(`# failed:\n${failed.map((f) => `#   ${f}`).join('\n')}`);
if (swept) console.log(`# ${swept} leftover process(es) had to be killed`);
process.exit(counts.fail === 0 && counts.pass > 0 && swept === 0 && !reports.length ? 0 : 1);
