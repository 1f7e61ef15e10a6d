// bench/soak.mjs -- mixed load at saturation against one mod_jobcenter
// instance, for bench/run.sh soak (node, no dependencies).
//
//   node bench/soak.mjs BASE PIDFILE SECS OUT.json
//   env: SOAK_LOGIN_C SOAK_ME_C SOAK_MSG_C SOAK_UP_C (connections per kind),
//        SOAK_LOGIN SOAK_PASS (the bench account), SOAK_COOKIE SOAK_CSRF (an
//        authenticated session for /me, messages and uploads),
//        SOAK_LOGIN_ONLY_SECS (the login-only phase at the end, default 20),
//        SOAK_HASHBENCH (build/bench/hashbench: run right before and right
//        after the login-only phase, so the raw hash rate the login
//        throughput is compared with is measured beside it, not minutes
//        earlier on a machine whose speed moved), SOAK_HASH_RUNS (15)
//
// Each kind runs its connections in closed loops (keep-alive) for SECS:
//   login   POST /api/v1/login (Argon2id verify behind the admission gate)
//   me      GET  /api/v1/me
//   msg     GET  /api/v1/messages
//   upload  POST /api/v1/uploads/files?draft=N, 2 KiB raw body (new draft
//           every 20 files: JobcenterUploadMaxFiles)
// Every 5 s it samples VmRSS of every child of the Apache parent. Then a
// login-only phase (SOAK_LOGIN_ONLY_SECS, SOAK_LOGIN_C connections) gives the
// login throughput under admission. A 503 service_busy (admission) is
// counted apart from every other 5xx. Writes OUT.json.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';

const [base, pidFile, secsArg, outFile] = process.argv.slice(2);
const SECS = Number(secsArg);
const env = process.env;
const C = {
    login: Number(env.SOAK_LOGIN_C || 8), me: Number(env.SOAK_ME_C || 8),
    msg: Number(env.SOAK_MSG_C || 4), upload: Number(env.SOAK_UP_C || 4)
};
const LOGIN_ONLY = Number(env.SOAK_LOGIN_ONLY_SECS || 20);
const origin = base;
const url = new URL(base);
const loginBody = JSON.stringify({ login: env.SOAK_LOGIN, password: env.SOAK_PASS });
const cookie = `jc_session=${env.SOAK_COOKIE}`;
const upBody = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2048 - 9, 'a')]);  // sniffed as PDF

function request(agent, method, path, headers, body) {
    return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        const req = http.request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({
                status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6,
                body: Buffer.concat(chunks).toString('utf8')
            }));
        });
        req.setTimeout(60000, () => req.destroy(new Error('timeout')));
        req.on('error', (e) => resolve({ status: 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, body: String(e) }));
        if (body) req.write(body);
        req.end();
    });
}

const stats = {};
function record(kind, r) {
    const s = (stats[kind] ||= { n: 0, lat: [], by: {}, busy: 0, other5xx: 0, samples5xx: [] });
    s.n++;
    s.lat.push(r.ms);
    s.by[r.status] = (s.by[r.status] || 0) + 1;
    if (r.status === 503 && r.body.includes('"service_busy"')) s.busy++;
    else if (r.status >= 500 || r.status === 0) {
        s.other5xx++;
        if (s.samples5xx.length < 5) s.samples5xx.push(`${r.status} ${r.body.slice(0, 160)}`);
    }
}

const json = { 'Content-Type': 'application/json', Origin: origin };
const authed = { Cookie: cookie, 'X-CSRF-Token': env.SOAK_CSRF, Origin: origin };

async function newDraft(agent) {
    const r = await request(agent, 'POST', '/api/v1/uploads/drafts', { ...authed, 'Content-Type': 'application/json' },
        JSON.stringify({ area: 'geldleistung' }));
    const m = /"draft":(\d+)/.exec(r.body);
    return m ? Number(m[1]) : null;
}

const ops = {
    login: async (agent, kind) => record(kind, await request(agent, 'POST', '/api/v1/login', json, loginBody)),
    me: async (agent, kind) => record(kind, await request(agent, 'GET', '/api/v1/me', authed)),
    msg: async (agent, kind) => record(kind, await request(agent, 'GET', '/api/v1/messages', authed)),
    upload: async (agent, kind, st) => {
        if (!st.draft || st.files >= 20) {
            st.draft = await newDraft(agent);
            st.files = 0;
        }
        const r = await request(agent, 'POST', `/api/v1/uploads/files?draft=${st.draft}&name=f${st.files}.pdf`,
            { ...authed, 'Content-Type': 'application/octet-stream', 'Content-Length': upBody.length }, upBody);
        st.files++;
        if (r.status === 400 || r.status === 404) st.draft = null;
        record(kind, r);
    }
};

async function loop(kind, until, tag = kind) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const st = {};
    while (Date.now() < until) await ops[kind](agent, tag, st);
    agent.destroy();
}

function children() {
    const ppid = fs.readFileSync(pidFile, 'utf8').trim();
    const out = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
            if (f[1] === ppid) {
                const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'));
                out.push({ pid: Number(d), rss_kb: rss ? Number(rss[1]) : 0 });
            }
        } catch { /* gone */ }
    }
    return out;
}

const pct = (a, p) => {
    if (!a.length) return null;
    const s = [...a].sort((x, y) => x - y);
    return Number(s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))].toFixed(1));
};

const rssSamples = [];
const t0 = Date.now();
const sample = () => rssSamples.push({ t: Math.round((Date.now() - t0) / 1000), kids: children() });
sample();
const timer = setInterval(sample, 5000);
const until = t0 + SECS * 1000;
const loops = [];
for (const [kind, n] of Object.entries(C)) for (let i = 0; i < n; i++) loops.push(loop(kind, until));
await Promise.all(loops);
sample();
clearInterval(timer);

// the raw Argon2id rate on this machine now (hashbench: median ms of one
// hash, and hashes/s with one thread per core), or null without it
function hashRate() {
    if (!env.SOAK_HASHBENCH) return null;
    const txt = execFileSync(env.SOAK_HASHBENCH, [String(env.SOAK_HASH_RUNS || 15), '19456', '2', '1',
        String(os.availableParallelism())], { encoding: 'utf8', timeout: 120000 });
    const num = (re) => Number((txt.match(re) || [])[1]);
    return { raw_ms: num(/^raw_ms:\s*median\s+([\d.]+)/m), par_per_s: num(/^par_per_s:\s*([\d.]+)/m) };
}

// login-only phase: throughput under admission, the raw rate beside it
const hashBefore = hashRate();
const lt0 = Date.now();
await Promise.all(Array.from({ length: C.login }, () => loop('login', lt0 + LOGIN_ONLY * 1000, 'login_only')));
const lsecs = (Date.now() - lt0) / 1000;
const hashAfter = hashRate();
sample();

const out = { secs: SECS, connections: C, kinds: {}, rss: rssSamples };
for (const [k, s] of Object.entries(stats)) {
    out.kinds[k] = { n: s.n, by: s.by, admission_503: s.busy, other_5xx: s.other5xx, samples_5xx: s.samples5xx,
        p50_ms: pct(s.lat, 50), p99_ms: pct(s.lat, 99),
        per_s: Number((s.n / (k === 'login_only' ? lsecs : SECS)).toFixed(1)) };
}
const lo = stats.login_only;
out.login_only = { secs: Number(lsecs.toFixed(1)), ok_per_s: lo ? Number(((lo.by[200] || 0) / lsecs).toFixed(1)) : 0,
    hash_before: hashBefore, hash_after: hashAfter };
fs.writeFileSync(outFile, JSON.stringify(out, null, 1));
