// The API's route table as the tests see it: parsed from the C source
// (the route table each feature glue file mod_jobcenter/mod_jobcenter_*.c
// exports, jc_routes_*[]) and from the route x state table of
// docs/api.md, so a route added to one and not the other fails a test.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { TOP } from './env.mjs';

// The routes of the C route tables: [{method, path, states, body}]
// (states: the route's JC_LEVEL_* name, body: its JC_BODY_* name)
export function routeTable() {
    const dir = path.join(TOP, 'mod_jobcenter');
    const routes = [];
    const re = /\{\s*(M_GET|M_POST|M_PATCH|M_DELETE|M_OPTIONS),\s*"([^"]+)",\s*(JC_LEVEL_\w+),\s*(JC_BODY_\w+),/g;
    for (const f of fs.readdirSync(dir).filter((n) => /^mod_jobcenter_\w+\.c$/.test(n)).sort()) {
        const src = fs.readFileSync(path.join(dir, f), 'utf8');
        const start = src.search(/const jc_route_t jc_routes_\w+\[\] = \{/);
        if (start < 0) continue;
        const end = src.indexOf('{ 0, NULL', start);
        assert.ok(end > start, `route table of ${f} has no end`);
        let m;
        while ((m = re.exec(src.slice(start, end))) !== null) {
            routes.push({ method: m[1].slice(2), path: m[2], states: m[3], body: m[4] });
        }
    }
    assert.ok(routes.length > 50, `only ${routes.length} routes parsed`);
    return routes;
}

// The docs' table: Map "METHOD path" -> Map column -> '✓' | '–'
export function docTable(columns) {
    const md = fs.readFileSync(path.join(TOP, 'docs', 'api.md'), 'utf8');
    const a = md.indexOf('<!-- route-state-table -->');
    const b = md.indexOf('<!-- /route-state-table -->');
    assert.ok(a > 0 && b > a, 'docs/api.md has no <!-- route-state-table --> block');
    const lines = md.slice(a, b).split('\n').filter((l) => l.startsWith('|'));
    const head = lines[0].split('|').slice(1, -1).map((s) => s.trim());
    assert.equal(head[0], 'route');
    assert.deepEqual(head.slice(1), columns, 'the columns of the table in docs/api.md');
    const rows = new Map();
    for (const l of lines.slice(2)) {
        const cells = l.split('|').slice(1, -1).map((s) => s.trim());
        const key = cells[0].replace(/`/g, '');
        assert.ok(!rows.has(key), `docs/api.md: row ${key} twice`);
        rows.set(key, new Map(head.slice(1).map((h, i) => [h, cells[i + 1]])));
    }
    return rows;
}

