// HTTP client for the API tests: fetch with an explicit Origin header (the
// portal's own origin by default), a tiny cookie jar, JSON helpers.
//
//   const c = new Client(env.base);                 // own jar
//   const r = await c.post('/api/v1/login', { login, password });
//   r.status, r.json, r.text, r.headers.get('retry-after'), r.cookies (parsed Set-Cookie)
//   c.jar.get('jc_session')
//   await c.post(path, body, { origin: null })      // no Origin header at all
//   await c.post(path, null, { raw: 'text', contentType: 'text/plain' })
//   await c.post('/api/v1/logout', null, { csrf: token })
//   new Client(base, { fresh: true })  // a new TCP connection per request
//   new Client('https://…', { ca })    // HTTPS, the server's certificate
//                                      // checked against ca (PEM); fresh
import http from 'node:http';
import https from 'node:https';
import { observe } from './openapi.mjs';

// Parse one Set-Cookie header value.
export function parseSetCookie(str) {
    const parts = str.split(';').map((s) => s.trim());
    const [nv, ...attrs] = parts;
    const eq = nv.indexOf('=');
    const cookie = { name: nv.slice(0, eq), value: nv.slice(eq + 1), attrs: {}, raw: str };
    for (const a of attrs) {
        if (!a) continue;
        const i = a.indexOf('=');
        const k = (i < 0 ? a : a.slice(0, i)).toLowerCase();
        cookie.attrs[k] = i < 0 ? true : a.slice(i + 1);
    }
    return cookie;
}

export class CookieJar {
    constructor() {
        this.map = new Map();
    }

    // Apply the Set-Cookie headers of a response (Max-Age<=0 deletes).
    update(setCookies) {
        for (const c of setCookies) {
            const maxAge = c.attrs['max-age'];
            if ((maxAge !== undefined && Number(maxAge) <= 0) || c.value === '') {
                this.map.delete(c.name);
            } else {
                this.map.set(c.name, c.value);
            }
        }
    }

    get(name) {
        return this.map.get(name);
    }

    set(name, value) {
        if (value === undefined || value === null) this.map.delete(name);
        else this.map.set(name, value);
    }

    header() {
        return [...this.map].map(([k, v]) => `${k}=${v}`).join('; ');
    }

    clone() {
        const j = new CookieJar();
        for (const [k, v] of this.map) j.map.set(k, v);
        return j;
    }
}

export class Client {
    constructor(base, { jar = new CookieJar(), origin, fresh = false, ca } = {}) {
        this.base = base;
        this.ca = ca;
        this.fresh = fresh || !!ca;
        this.jar = jar;
        this.origin = origin === undefined ? base : origin;
        this.csrf = null;       // remembered from login / me answers
    }

    // body: object -> JSON; raw: string/Buffer sent as is.
    // opts: origin (null = none), csrf (string; true = the remembered one),
    //       contentType (null = none), headers, jar (false = no cookies),
    //       timeoutMs
    async request(method, path, body, opts = {}) {
        const headers = { Accept: 'application/json', ...(opts.headers || {}) };
        const origin = opts.origin === undefined ? this.origin : opts.origin;
        if (origin && method !== 'GET' && method !== 'HEAD') headers.Origin = origin;
        if (opts.origin && (method === 'GET' || method === 'HEAD')) headers.Origin = opts.origin;
        let payload;
        if (opts.raw !== undefined) {
            payload = opts.raw;
        } else if (body !== undefined && body !== null) {
            payload = JSON.stringify(body);
        }
        const ct = opts.contentType === undefined
            ? (payload !== undefined ? 'application/json' : undefined) : opts.contentType;
        if (ct) headers['Content-Type'] = ct;
        const csrf = opts.csrf === true ? this.csrf : opts.csrf;
        if (csrf) headers['X-CSRF-Token'] = csrf;
        const jar = opts.jar === undefined ? this.jar : opts.jar;
        if (jar && jar.header()) headers.Cookie = jar.header();

        if (opts.fresh || this.fresh) {
            return this.freshRequest(method, path, headers, payload, jar, opts.timeoutMs || 30000);
        }
        const init = { method, headers, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs || 30000) };
        if (payload !== undefined) {
            init.body = payload;
            if (typeof payload === 'object' && typeof payload.getReader === 'function') init.duplex = 'half';
        }
        const t0 = performance.now();
        const res = await fetch(this.base + path, init);
        const text = await res.text();
        const ms = performance.now() - t0;
        const cookies = res.headers.getSetCookie().map(parseSetCookie);
        if (jar) jar.update(cookies);
        let json = null;
        if ((res.headers.get('content-type') || '').includes('json') && text) {
            try { json = JSON.parse(text); } catch { json = null; }
        }
        if (json && typeof json.csrf_token === 'string') this.csrf = json.csrf_token;
        const out = { status: res.status, headers: res.headers, text, json, cookies, ms,
            error: json && json.error ? json.error : null };
        await observe(method, path, out, payload, headers);
        return out;
    }

    // One request on a new TCP connection (Connection: close), so that
    // successive requests reach whichever server process accepts them.
    freshRequest(method, path, headers, payload, jar, timeoutMs) {
        return new Promise((resolve, reject) => {
            const url = new URL(this.base + path);
            const body = payload === undefined ? null : Buffer.from(payload);
            const h = { ...headers, Connection: 'close' };
            if (body) h['Content-Length'] = String(body.length);
            const t0 = performance.now();
            const req = (url.protocol === 'https:' ? https : http).request({
                host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: h,
                agent: false, timeout: timeoutMs, ...(this.ca ? { ca: this.ca } : {})
            }, (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('error', reject);
                res.on('end', () => {
                    const text = Buffer.concat(chunks).toString('utf8');
                    const raw = res.headers['set-cookie'] || [];
                    const cookies = raw.map(parseSetCookie);
                    if (jar) jar.update(cookies);
                    let json = null;
                    if ((res.headers['content-type'] || '').includes('json') && text) {
                        try { json = JSON.parse(text); } catch { json = null; }
                    }
                    if (json && typeof json.csrf_token === 'string') this.csrf = json.csrf_token;
                    const out = { status: res.statusCode, headers: new Headers(Object.entries(res.headers)
                        .filter(([k]) => k !== 'set-cookie').map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
                    text, json, cookies, ms: performance.now() - t0, error: json && json.error ? json.error : null };
                    observe(method, path, out, payload, headers).then(() => resolve(out), reject);
                });
            });
            req.on('timeout', () => req.destroy(new Error('timeout')));
            req.on('error', reject);
            req.end(body || undefined);
        });
    }

    get(path, opts) {
        return this.request('GET', path, undefined, opts);
    }

    post(path, body, opts) {
        return this.request('POST', path, body, opts);
    }
}
