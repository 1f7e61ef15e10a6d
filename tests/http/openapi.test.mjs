// docs/openapi.yaml against the module: every route of the C route tables
// (mod_jobcenter/mod_jobcenter_*.c) is in the document with its method
// and session states (x-route-states = the route's JC_LEVEL_* level,
// x-session-states = the states that set stands for), and nothing else is;
// every literal error code of the C source is in the ErrorCode enum; every
// schema of the document compiles; and the module serves the very same
// document at GET /api/v1/openapi.yaml. (Every answer the test client gets
// is checked against the document by tests/lib/openapi.mjs.)
import fs from 'node:fs';
import path from 'node:path';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest, TOP } from '../lib/env.mjs';
import { routeTable } from '../lib/routes.mjs';
import { openapiDocument, checkAnswer, OPENAPI_FILE } from '../lib/openapi.mjs';

const LEVELS = path.join(TOP, 'mod_jobcenter', 'mod_jobcenter.h');

// The session states and staff role of each route level, from the enum
// jc_route_level in mod_jobcenter.h (JC_LEVEL_STATE(x): a state, the
// JC_LEVEL_ROLE_* bits: the role, other JC_LEVEL_* names: their sets).
function routeSets() {
    const h = fs.readFileSync(LEVELS, 'utf8');
    const a = h.indexOf('enum jc_route_level {');
    const b = h.indexOf('};', a);
    assert.ok(a > 0 && b > a, 'enum jc_route_level not found in mod_jobcenter.h');
    const defs = new Map();
    for (const d of h.slice(a + 21, b).replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
        const m = d.match(/^\s*(JC_LEVEL_[A-Z_]+)\s*=\s*([\s\S]*?)\s*$/);
        if (m) defs.set(m[1], m[2]);
    }
    const expand = (name, seen = new Set()) => {
        const body = defs.get(name);
        assert.ok(body !== undefined, `no ${name} in enum jc_route_level`);
        const out = { states: new Set(), role: null };
        for (const s of body.matchAll(/JC_LEVEL_STATE\(([A-Z_]+)\)/g)) out.states.add(s[1].toLowerCase());
        for (const r of body.matchAll(/\b(JC_LEVEL_[A-Z_]+)\b/g)) {
            if (r[1] === 'JC_LEVEL_STATE' || seen.has(r[1])) continue;
            if (r[1] === 'JC_LEVEL_ROLE_SB') out.role = 'sachbearbeitung';
            else if (r[1] === 'JC_LEVEL_ROLE_ADMIN') out.role = 'admin';
            else {
                const sub = expand(r[1], new Set([...seen, name]));
                sub.states.forEach((s) => out.states.add(s));
                out.role ||= sub.role;
            }
        }
        return out;
    };
    return expand;
}

const OPS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options'];

describe('docs/openapi.yaml and the route table', () => {
    test('every route of the C table is documented with its method and session states', async () => {
        const doc = await openapiDocument();
        const expand = routeSets();
        const problems = [];
        for (const rt of routeTable()) {
            const tpl = '/' + rt.path.replace(/\*/g, '{id}').replace(/#/g, '{upload}');
            const op = doc.paths[tpl] && doc.paths[tpl][rt.method.toLowerCase()];
            if (!op) {
                problems.push(`${rt.method} ${tpl}: not in docs/openapi.yaml`);
                continue;
            }
            const want = expand(rt.states);
            if (op['x-route-states'] !== rt.states) {
                problems.push(`${rt.method} ${tpl}: x-route-states ${op['x-route-states']}, C table ${rt.states}`);
            }
            const got = [...(op['x-session-states'] || [])].sort();
            if (JSON.stringify(got) !== JSON.stringify([...want.states].sort())) {
                problems.push(`${rt.method} ${tpl}: x-session-states [${got}], ${rt.states} is [${[...want.states].sort()}]`);
            }
            if ((op['x-staff-role'] || null) !== want.role) {
                problems.push(`${rt.method} ${tpl}: x-staff-role ${op['x-staff-role']}, ${rt.states} needs ${want.role}`);
            }
            const anon = want.states.size === 0;
            if (anon !== (Array.isArray(op.security) && op.security.length === 0)) {
                problems.push(`${rt.method} ${tpl}: security must be [] exactly for routes without a session`);
            }
            if ((rt.body === 'JC_BODY_NONE') !== !op.requestBody) {
                problems.push(`${rt.method} ${tpl}: requestBody ${op.requestBody ? 'documented' : 'missing'}, route body ${rt.body}`);
            }
        }
        assert.deepEqual(problems, [], problems.join('\n'));
    });

    test('every operation of the document is a route of the C table (or the document itself)', async () => {
        const doc = await openapiDocument();
        const table = new Set(routeTable().map((r) => `${r.method} /${r.path.replace(/\*/g, '{id}').replace(/#/g, '{upload}')}`));
        const extra = [];
        for (const [tpl, item] of Object.entries(doc.paths)) {
            for (const m of OPS) {
                if (!item[m]) continue;
                const key = `${m.toUpperCase()} ${tpl}`;
                if (key !== 'GET /openapi.yaml' && !table.has(key)) extra.push(key);
            }
        }
        assert.deepEqual(extra, [], `documented but not in the route table: ${extra.join(', ')}`);
        assert.ok(doc.paths['/openapi.yaml'] && doc.paths['/openapi.yaml'].get, 'GET /openapi.yaml documented');
    });

    test('every error code the C source sets literally is in components.schemas.ErrorCode', async () => {
        const doc = await openapiDocument();
        const known = new Set(doc.components.schemas.ErrorCode.enum);
        const missing = new Set();
        const dir = path.join(TOP, 'mod_jobcenter');
        for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.c'))) {
            const src = fs.readFileSync(path.join(dir, f), 'utf8');
            // jc_result_set(res, 409, "code", …), fail(r, 404, "code", …)
            for (const m of src.matchAll(/\b[45][0-9][0-9],\s*"([a-z][a-z0-9_]+)"/g)) {
                if (!known.has(m[1])) missing.add(`${m[1]} (${f})`);
            }
        }
        assert.deepEqual([...missing], [], `error codes not in docs/openapi.yaml: ${[...missing].join(', ')}`);
    });

    test('every schema and $ref of the document compiles (ajv, JSON Schema 2020-12)', async () => {
        const doc = await openapiDocument();
        const { default: Ajv2020 } = await import('ajv/dist/2020.js');
        const { default: addFormats } = await import('ajv-formats');
        const ajv = new Ajv2020({ strict: false, validateSchema: false });
        addFormats(ajv);
        ajv.addSchema({ ...doc, $id: 'openapi.yaml' });
        const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
        let n = 0;
        for (const [tpl, item] of Object.entries(doc.paths)) {
            for (const m of OPS.filter((x) => item[x])) {
                const op = item[m];
                assert.ok(op.responses && Object.keys(op.responses).length, `${m} ${tpl}: no responses`);
                for (const [code, r] of Object.entries(op.responses)) {
                    assert.match(code, /^[1-5][0-9][0-9]$/, `${m} ${tpl}: response key ${code}`);
                    for (const ct of Object.keys((r.content) || {})) {
                        ajv.compile({ $ref: `openapi.yaml#/paths/${esc(tpl)}/${m}/responses/${code}/content/${esc(ct)}/schema` });
                        n++;
                    }
                }
            }
        }
        for (const [name, r] of Object.entries(doc.components.responses || {})) {
            for (const ct of Object.keys(r.content || {})) {
                ajv.compile({ $ref: `openapi.yaml#/components/responses/${esc(name)}/content/${esc(ct)}/schema` });
                n++;
            }
        }
        assert.ok(n > 20, `only ${n} response schemas`);
    });
});

describe('the answer check of tests/lib/openapi.mjs', () => {
    const json = (status, body) => ({ status, json: body, text: JSON.stringify(body),
        headers: new Headers({ 'content-type': 'application/json; charset=utf-8' }) });
    const policy = { min_length: 12, max_length: 128, specials: '@#' };

    test('a documented answer passes; an undocumented field, status, path or error code fails', async () => {
        assert.deepEqual(await checkAnswer('GET', '/api/v1/password-policy', json(200, policy)), []);
        const extra = await checkAnswer('GET', '/api/v1/password-policy', json(200, { ...policy, debug: 1 }));
        assert.equal(extra.length, 1, 'an undocumented field');
        assert.match(extra[0], /additional properties/);
        const missing = await checkAnswer('GET', '/api/v1/password-policy', json(200, { min_length: 12 }));
        assert.equal(missing.length, 1, 'a missing field');
        const status = await checkAnswer('GET', '/api/v1/password-policy', json(418, { error: { code: 'not_found', message: 'x' } }));
        assert.match(status[0], /status 418 not documented/);
        const code = await checkAnswer('GET', '/api/v1/me', json(401, { error: { code: 'no_such_code', message: 'x', field: null } }));
        assert.match(code[0], /body does not match/);
        assert.deepEqual(await checkAnswer('GET', '/api/v1/me', json(401, { error: { code: 'not_authenticated', message: 'x', field: null } })), []);
        const route = await checkAnswer('GET', '/api/v1/no-such-route', json(200, {}));
        assert.match(route[0], /path not documented/);
        assert.deepEqual(await checkAnswer('GET', '/api/v1/no-such-route', json(404, { error: { code: 'not_found', message: 'x', field: null } })), []);
        const method = await checkAnswer('PUT', '/api/v1/me', json(200, {}));
        assert.match(method[0], /method not documented/);
    });
});

describe('GET /api/v1/openapi.yaml', () => {
    const h = useEnv();

    test('serves docs/openapi.yaml as it is in the checkout, without a session', async () => {
        const r = await h.env.api.get('/api/v1/openapi.yaml', { headers: { Accept: '*/*' } });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^application\/yaml/);
        assert.equal(r.text, fs.readFileSync(OPENAPI_FILE, 'utf8'));
        const head = await h.env.api.request('HEAD', '/api/v1/openapi.yaml');
        assert.equal(head.status, 200);
        assert.equal(head.text, '');
    });

    test('POST: 405 method_not_allowed with Allow: GET, HEAD', async () => {
        const r = await h.env.api.post('/api/v1/openapi.yaml', {});
        assert.equal(r.status, 405);
        assert.equal(r.error.code, 'method_not_allowed');
        assert.equal(r.headers.get('allow'), 'GET, HEAD');
    });
});

logTest();
