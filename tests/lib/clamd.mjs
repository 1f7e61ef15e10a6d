// A throw-away ClamAV daemon (Debian's clamav-daemon: /usr/sbin/clamd) for
// the virus scanning tests, with a signature database written here: the
// official databases (main.cvd, ...) cannot be downloaded on the test
// machines, so clamd knows only our own signatures:
//   Jobcenter.Test.EICAR      (.ndb) the EICAR test string anywhere in a file
//   Jobcenter.Test.EICAR.MD5  (.hdb) the 68-byte EICAR file itself
//   Jobcenter.Test.PDF.MD5    (.hdb) the whole of FLAGGED_PDF (a hash match
//                             needs every byte of the stream)
// clamd reports them with ".UNOFFICIAL" appended. It runs in the
// foreground (as root, no User line) with its own clamd.conf in a temp
// dir: a unix socket there (mode 666: Apache's workers connect to it) and,
// with tcp: true, a TCP socket on a static loopback port below the
// ephemeral range (freeStaticPort). Start-up with these few signatures
// takes well under a second; we wait for PING/PONG, bounded.
//
//   const av = await startClamd({ tcp: true, streamMax: '512K' });
//   ... JobcenterClamd ${av.socket}  or  JobcenterClamd ${av.tcp}
//   await av.stop(); await av.start();   // the same daemon again
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { freeStaticPort, waitUntil } from './util.mjs';
import { openPath } from './pg.mjs';

export const CLAMD = '/usr/sbin/clamd';
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
export const SIG_EICAR = 'Jobcenter.Test.EICAR.UNOFFICIAL';
export const SIG_PDF_MD5 = 'Jobcenter.Test.PDF.MD5.UNOFFICIAL';

// A "PDF" (it sniffs as one) with the EICAR string inside, padded to size.
export function eicarPdf(size = 5000) {
    const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');
    const b = Buffer.alloc(Math.max(size, head.length + EICAR.length + 2));
    crypto.randomFillSync(b);
    head.copy(b, 0);
    Buffer.from(`\n${EICAR}\n`, 'latin1').copy(b, Math.floor(b.length / 2));
    return b;
}

// A fixed PDF whose MD5 is in the .hdb: flagged only as a whole.
export const FLAGGED_PDF = (() => {
    const b = Buffer.alloc(3000, 0x41);
    Buffer.from('%PDF-1.4\n% jobcenter hash-signature test file\n', 'latin1').copy(b, 0);
    return b;
})();

const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

export function writeDatabase(dir) {
    fs.mkdirSync(dir, { recursive: true });
    const eicar = Buffer.from(EICAR, 'latin1');
    fs.writeFileSync(path.join(dir, 'jobcenter-test.ndb'),
        `Jobcenter.Test.EICAR:0:*:${eicar.toString('hex')}\n`);
    fs.writeFileSync(path.join(dir, 'jobcenter-test.hdb'),
        `${md5(eicar)}:${eicar.length}:Jobcenter.Test.EICAR.MD5\n`
        + `${md5(FLAGGED_PDF)}:${FLAGGED_PDF.length}:Jobcenter.Test.PDF.MD5\n`);
}

// Ask clamd PING on a unix socket path or {port}; resolves true on PONG.
export function ping(where, timeoutMs = 1000) {
    return new Promise((resolve) => {
        const s = typeof where === 'string' ? net.connect(where) : net.connect(where.port, '127.0.0.1');
        let got = '';
        const t = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
        s.on('connect', () => s.write('zPING\0'));
        s.on('data', (d) => {
            got += d.toString('latin1');
            if (got.includes('\0')) { clearTimeout(t); s.destroy(); resolve(got.startsWith('PONG')); }
        });
        s.on('error', () => { clearTimeout(t); resolve(false); });
        s.on('close', () => { clearTimeout(t); resolve(got.startsWith('PONG')); });
    });
}

export async function startClamd({ dir, tcp = false, streamMax = '25M' } = {}) {
    dir ||= fs.mkdtempSync(path.join(process.env.JC_TMP || os.tmpdir(), 'clamd-'));
    fs.mkdirSync(dir, { recursive: true });
    openPath(dir);
    const db = path.join(dir, 'db');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    writeDatabase(db);
    const socket = path.join(dir, 'clamd.sock');
    const port = tcp ? await freeStaticPort() : null;
    const conf = path.join(dir, 'clamd.conf');
    const log = path.join(dir, 'clamd.log');
    fs.writeFileSync(conf, [
        `LocalSocket ${socket}`, 'LocalSocketMode 666', 'FixStaleSocket true',
        ...(tcp ? [`TCPSocket ${port}`, 'TCPAddr 127.0.0.1'] : []),
        `DatabaseDirectory ${db}`, `TemporaryDirectory ${tmp}`, 'Foreground true',
        `LogFile ${log}`, 'LogTime true', `StreamMaxLength ${streamMax}`,
        'SelfCheck 3600', 'MaxThreads 4', 'ReadTimeout 30', ''
    ].join('\n'));
    const av = {
        dir, conf, socket, port, tcp: tcp ? `127.0.0.1:${port}` : null, child: null,
        logText: () => { try { return fs.readFileSync(log, 'utf8'); } catch { return ''; } },
        async start() {
            if (av.child) return;
            let stderr = '';
            const child = spawn(CLAMD, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
            child.stderr.on('data', (d) => { stderr += d; });
            child.exited = false;
            child.on('exit', () => { child.exited = true; });
            av.child = child;
            try {
                await waitUntil(async () => {
                    if (child.exited) throw new Error(`clamd exited: ${stderr}\n${av.logText()}`);
                    return (await ping(socket)) && (!tcp || await ping({ port }));
                }, { timeoutMs: 20000, intervalMs: 50, what: 'clamd to answer PING',
                    stopOn: (e) => /clamd exited/.test(e.message) });
            } catch (e) {
                await av.stop();
                throw e;
            }
        },
        async stop() {
            const child = av.child;
            if (!child) return;
            av.child = null;
            if (!child.exited) {
                child.kill('SIGTERM');
                await waitUntil(() => child.exited, { timeoutMs: 10000, what: 'clamd to exit' })
                    .catch(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
            }
            // nothing must answer on the socket any more
            try { fs.unlinkSync(socket); } catch { /* gone */ }
        }
    };
    await av.start();
    return av;
}
