// Every answer of /api/v1/ that the test client (tests/lib/http.mjs)
// receives is checked against docs/openapi.yaml:
//   * the path matches one of the document's paths, else the answer must be
//     the API's 404 not_found; the method is one of the path's operations
//     (HEAD counts as GET), else the answer must be the 405
//     method_not_allowed (or 404) error;
//   * the status is one of the operation's responses;
//   * a JSON body is valid against that response's schema (ajv, JSON Schema
//     2020-12 as OpenAPI 3.1 uses it, with ajv-formats); the document's
//     objects say additionalProperties: false where the API promises a
//     fixed shape, so an undocumented field fails.
// Violations are collected per test process; a root after() hook fails the
// test file and lists them. JC_OPENAPI=0 switches the check off;
// JC_OPENAPI_RECORD=FILE appends every answer as one JSON line to FILE
// (for writing the document).
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OPENAPI_FILE = path.join(TOP, 'docs', 'openapi.yaml');
const PREFIX = '/api/v1';
const ENABLED = process.env.JC_OPENAPI !== '0';  // RECORD_ONLY below
const RECORD = process.env.JC_OPENAPI_RECORD || '';

let state = null;           // { doc, ajv, ops: [{re, tpl, item}], cache }
const violations = [];
let checked = 0;

async function load() {
    if (state) return state;
    const [{ parse }, { default: Ajv2020 }, { default: addFormats }] = await Promise.all([
        import('yaml'), import('ajv/dist/2020.js'), import('ajv-formats')]);
    const doc = parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi.yaml', components: doc.components });
    const ops = Object.entries(doc.paths || {}).map(([tpl, item]) => ({
        tpl, item,
        re: new RegExp('^' + tpl.replace(/[.+?^$()|[\]\\]/g, '\\$&')
            .replace(/\{[^}]+\}/g, '([^/]+)') + '$')
    }));
    state = { doc, ajv, ops, cache: new Map() };
    return state;
}

// The document's paths as "METHOD /path" (e.g. "GET /staff/customers/{id}").
export async function documentedRoutes() {
    const { ops } = await load();
    const out = [];
    for (const o of ops) {
        for (const m of ['get', 'post', 'put', 'delete', 'patch']) {
            if (o.item[m]) out.push(`${m.toUpperCase()} ${o.tpl}`);
        }
    }
    return out;
}

export async function openapiDocument() {
    return (await load()).doc;
}

function ptr(parts) {
    return parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

// A validator for the schema at `parts` of the document: compiled on its
// own (local $refs point into the components, added once), cached.
function validator(st, parts) {
    const key = ptr(parts);
    let v = st.cache.get(key);
    if (!v) {
        const schema = parts.reduce((o, k) => o[k], st.doc);
        const rebase = (x) => (Array.isArray(x) ? x.map(rebase)
            : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) =>
                [k, k === '$ref' && typeof y === 'string' && y.startsWith('#/') ? `openapi.yaml${y}` : rebase(y)]))
                : x);
        v = st.ajv.compile(rebase(schema));
        st.cache.set(key, v);
    }
    return v;
}

function errorOnly(st, res) {
    // the generic error answer: {error:{code,message,field}}
    const v = validator(st, ['components', 'schemas', 'Error']);
    return res.json && v(res.json) ? null : `body is not an Error: ${res.text.slice(0, 200)}`;
}

// Called by the client for every answer.
export async function observe(method, fullPath, res, payload, reqHeaders) {
    const p = fullPath.split('?')[0];
    if (!p.startsWith(PREFIX + '/')) return;
    if (RECORD) {
        fs.appendFileSync(RECORD, JSON.stringify({ method, path: p.slice(PREFIX.length), status: res.status,
            ct: res.headers.get('content-type'), json: res.json, query: fullPath.split('?')[1],
            reqCt: reqHeaders && reqHeaders['Content-Type'],
            req: typeof payload === 'string' && payload.length < 20000 ? payload : undefined,
            text: res.json ? undefined : (res.text || '').slice(0, 100) }) + '\n');
    }
    if (!ENABLED) return;
    checked++;
    violations.push(...await checkAnswer(method, fullPath, res));
}

// The violations of one answer ({status, headers, text, json}) of
// `method fullPath` (/api/v1/…): [] when the document describes it.
export async function checkAnswer(method, fullPath, res) {
    const out = [];
    const p = fullPath.split('?')[0];
    const rel = p.slice(PREFIX.length);
    let st;
    try {
        st = await load();
    } catch (e) {
        return [`cannot load ${OPENAPI_FILE}: ${e.message}`];
    }
    const where = `${method} ${fullPath} -> ${res.status}`;
    const op = st.ops.find((o) => o.re.test(rel));
    if (!op) {
        if (res.status !== 404) out.push(`${where}: path not documented`);
        else {
            const e = errorOnly(st, res);
            if (e) out.push(`${where}: ${e}`);
        }
        return out;
    }
    const m = method === 'HEAD' ? 'get' : method.toLowerCase();
    if (!op.item[m]) {
        if (res.status !== 405 && res.status !== 404) {
            out.push(`${where}: method not documented for ${op.tpl}`);
        } else {
            const e = errorOnly(st, res);
            if (e) out.push(`${where}: ${e}`);
        }
        return out;
    }
    const responses = op.item[m].responses || {};
    const code = String(res.status);
    if (!responses[code]) {
        out.push(`${where}: status ${code} not documented for ${m.toUpperCase()} ${op.tpl}`
            + (res.json && res.json.error ? ` (error ${res.json.error.code})` : ''));
        return out;
    }
    if (method === 'HEAD') return out;
    let resp = responses[code];
    let parts = ['paths', op.tpl, m, 'responses', code];
    if (resp.$ref) {
        parts = resp.$ref.replace(/^#\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
        resp = parts.reduce((o, k) => o[k], st.doc);
    }
    const content = resp.content || {};
    const ct = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
    if (!Object.keys(content).length) {
        if (res.text && res.text.length) out.push(`${where}: documented without a body, got ${ct}`);
        return out;
    }
    const mt = content[ct] ? ct : content[ct.replace(/\/.*/, '/*')] ? ct.replace(/\/.*/, '/*')
        : content['*/*'] ? '*/*' : null;
    if (!mt) {
        out.push(`${where}: content type ${ct || '(none)'} not documented (${Object.keys(content).join(', ')})`);
        return out;
    }
    if (ct === 'application/json' && content[mt].schema) {
        const v = validator(st, [...parts, 'content', mt, 'schema']);
        if (!v(res.json)) {
            out.push(`${where}: body does not match ${m.toUpperCase()} ${op.tpl} ${code}: `
                + st.ajv.errorsText(v.errors, { separator: '; ' }).slice(0, 600)
                + `\n    body: ${(res.text || '').slice(0, 300)}`);
        }
    }
    return out;
}

export function openapiViolations() {
    return violations.slice();
}

if (ENABLED && ['http', 'security'].includes(process.env.JC_SUITE)) {
    // read and compile while the file's Apache starts, not in its first test
    setTimeout(() => load().then((st) => validator(st, ['components', 'schemas', 'Error'])).catch(() => {}), 0);
    after(() => {
        assert.deepEqual(violations, [], `${violations.length} answer(s) of /api/v1/ (of ${checked}) `
            + `do not match docs/openapi.yaml:\n${violations.join('\n')}`);
    });
}
