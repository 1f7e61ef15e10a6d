// Small helpers shared by the harness and the tests: free ports, bounded
// waiting, child processes with timeouts, random names.
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Unix time in seconds (what the portal stores).
export const nowSec = () => Math.floor(Date.now() / 1000);

// The module answers session checks from a per-child cache for up to
// JobcenterSessionCacheTTL (default 1 s; what the module writes itself is
// seen at once). A test that rewrites session or account rows behind the
// module's back -- SQL straight on the database, as another node or the
// admin tool would -- waits this long before it relies on the change.
export const SESSION_CACHE_TTL_MS = 1000;
export const sessionCacheSettled = () => sleep(SESSION_CACHE_TTL_MS + 50);

// Lower-case hex SHA-256 of a string or buffer.
export const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');

// A TCP port that was free on 127.0.0.1 a moment ago, below the kernel's
// ephemeral range (see freeStaticPort): the suite never listens on a port
// the kernel may hand to an outgoing connection meanwhile (a busy machine
// gave "Address already in use" with bind :0 ports).
export function freePort() {
    return freeStaticPort();
}

// A TCP port on 127.0.0.1 BELOW the kernel's ephemeral range
// (net.ipv4.ip_local_port_range, 32768-60999 by default) that was free a
// moment ago. freePort() hands out an ephemeral port: fine for a server
// that binds it at once, but between our close() and the server's bind()
// the kernel may give that very port to an outgoing connection as its local
// port -- and a load balancer opens many of those (to the nodes, per
// request). A port outside the range is never chosen for outgoing
// connections, so it stays free until its server binds it. Random start
// in [lo, hi), then probe upwards (bind and close, like freePort).
export async function freeStaticPort({ lo = 20000, hi = 32000 } = {}) {
    let [elo] = [32768];
    try {
        [elo] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    } catch { /* default */ }
    const top = Math.min(hi, elo);
    const start = lo + crypto.randomInt(top - lo);
    for (let i = 0; i < top - lo; i++) {
        const port = lo + ((start - lo + i) % (top - lo));
        const ok = await new Promise((resolve) => {
            const srv = net.createServer();
            srv.unref();
            srv.once('error', () => resolve(false));
            srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
        });
        if (ok) return port;
    }
    throw new Error(`no free port in ${lo}-${top - 1}`);
}

// Poll fn() until it returns a truthy value (returned) or timeoutMs passes
// (throws, with `what` in the message). fn may be async and may throw; the
// last error is reported.
// stopOn(err) true: give up at once on that error (rethrown).
export async function waitUntil(fn, { timeoutMs = 10000, intervalMs = 100, what = 'condition', stopOn } = {}) {
    const end = Date.now() + timeoutMs;
    let lastErr = null;
    for (;;) {
        try {
            const v = await fn();
            if (v) return v;
        } catch (e) {
            if (stopOn && stopOn(e)) throw e;
            lastErr = e;
        }
        if (Date.now() >= end) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`
                + (lastErr ? ` (last error: ${lastErr.message})` : ''));
        }
        await sleep(intervalMs);
    }
}

// Run a program (no shell); resolves {code, stdout, stderr}; rejects only on
// spawn failure or timeout. check: true rejects on a non-zero exit as well.
// uid/gid: run as that user (we are root).
export function run(cmd, args, { timeoutMs = 30000, check = true, env, input, cwd, uid, gid } = {}) {
    return new Promise((resolve, reject) => {
        const child = execFile(cmd, args, {
            timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024,
            env: env || process.env, cwd, encoding: 'utf8', uid, gid
        }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
            if (err && (err.killed || typeof err.code !== 'number')) {
                reject(new Error(`${cmd} ${args.join(' ')}: ${err.killed ? 'timed out' : err.message}\n${stderr}`));
                return;
            }
            if (check && code !== 0) {
                reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stderr}${stdout}`));
                return;
            }
            resolve({ code, stdout, stderr });
        });
        if (input !== undefined) child.stdin.end(input);
    });
}

export function randomId(bytes = 6) {
    return crypto.randomBytes(bytes).toString('hex');
}

// A fresh address for one test: lower-case, unique per run.
export function uniqueEmail(tag = 'user') {
    return `${tag}-${randomId(5)}@example.org`;
}

export function median(values) {
    const s = [...values].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// pid of the process holding `file` open (a scan of /proc/*/fd)
export function holderOf(file) {
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        let fds;
        try { fds = fs.readdirSync(`/proc/${d}/fd`); } catch { continue; }
        for (const fd of fds) {
            try {
                if (fs.readlinkSync(`/proc/${d}/fd/${fd}`) === file) return Number(d);
            } catch { /* gone */ }
        }
    }
    return null;
}

// pids of the processes whose parent is ppid (an Apache's children)
export function childPids(ppid) {
    const out = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(d));
        } catch { /* gone */ }
    }
    return out;
}

export function isAlive(pid) {
    if (!pid) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return e.code === 'EPERM';
    }
}

// The schema version this build expects (JC_SCHEMA_VERSION in jc_sql.h), so
// tests need no edit when a migration is added.
export function schemaVersion() {
    const h = fs.readFileSync(new URL('../../mod_jobcenter/jc_sql.h', import.meta.url), 'utf8');
    const m = /#define JC_SCHEMA_VERSION (\d+)/.exec(h);
    if (!m) throw new Error('JC_SCHEMA_VERSION not found in jc_sql.h');
    return Number(m[1]);
}
