// Helpers for tests of the gate in front of a proxied backend.
//
//   const be = await echoBackend();      // node server on 127.0.0.1:be.port
//   be.seen                              // [{ url, raw: [[name, value], ...] }]
//   be.close()
//   const r = await rawGet(env, '/intern/x', [['X_Jobcenter_User', '1'], ['Cookie', 'a=1']]);
//   r.status, r.headers (lower-case names), r.text, r.json (the echo)
//   useEnv({ extra: () => `\n${PROXY_MODULES}\n${gateLocation('/intern/', be.port, { headers: true })}\n` })
//
// The backend answers every request with the header lines it received, as
// sent (raw: names in their original spelling, repeated lines kept), and
// as node parsed them (headers: lower-case names). rawGet sends header
// lines exactly as given (any spelling, repeated names).
import http from 'node:http';

export const APACHE_MODULES = '/usr/lib/apache2/modules';

// LoadModule lines of Debian's Apache modules, e.g. loadModules('proxy').
export const loadModules = (...names) =>
    names.map((m) => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`).join('\n');

// What a gate in front of a proxied backend needs.
export const PROXY_MODULES = loadModules('authn_core', 'proxy', 'proxy_http');

// A <Location> the gate guards, proxied to the backend on 127.0.0.1:port.
// require: the words of its Require line; headers: JobcenterGateHeaders On;
// forbidden: AuthzSendForbiddenOnFailure On.
export function gateLocation(path, port, { require = 'jobcenter-session', headers = false, forbidden = false } = {}) {
    return [
        `<Location ${path}>`,
        '    AuthType jobcenter',
        ...(forbidden ? ['    AuthzSendForbiddenOnFailure On'] : []),
        `    Require ${require}`,
        ...(headers ? ['    JobcenterGateHeaders On'] : []),
        `    ProxyPass http://127.0.0.1:${port}/`,
        '</Location>'
    ].join('\n');
}

export async function echoBackend() {
    const seen = [];
    const server = http.createServer((req, res) => {
        const raw = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
            raw.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
        }
        seen.push({ url: req.url, raw, headers: req.headers });
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ url: req.url, raw, headers: req.headers }));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return { port: server.address().port, seen, close: () => server.close() };
}

export function rawGet(env, path, lines = []) {
    const url = new URL(env.base);
    const flat = [['Host', url.host], ...lines, ['Connection', 'close']].flat();
    return new Promise((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, path, method: 'GET',
            headers: flat, agent: false, timeout: 30000 }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json = null;
                if ((res.headers['content-type'] || '').includes('json')) {
                    try { json = JSON.parse(text); } catch { json = null; }
                }
                resolve({ status: res.statusCode, headers: res.headers, text, json });
            });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
    });
}

// A header name as a backend that folds '_' (and other separators) into
// '-' and ignores case sees it.
export const folded = (name) => name.toLowerCase().replace(/[^a-z0-9]/g, '-');
