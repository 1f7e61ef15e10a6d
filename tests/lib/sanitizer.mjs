// Sanitizer reports of an Apache started by apache-asan.sh (JC_ASAN=1).
// No side effects on import: tests/run.mjs uses it too.
import fs from 'node:fs';
import path from 'node:path';

// The sanitizer reports of the Apache whose ServerRoot is root, as
// [{file, text}] (none without JC_ASAN): ASan's report files, and UBSan's
// "runtime error:" in logs/error.log (UBSan writes to stderr) with the
// stack lines after it.
export function sanitizerReports(root) {
    const dir = path.join(root, 'asan');
    let names = [];
    try {
        names = fs.readdirSync(dir).filter((f) => f.startsWith('report')).sort();
    } catch { /* no directory: no report */ }
    const out = names.map((f) => {
        const file = path.join(dir, f);
        let text = '';
        try { text = fs.readFileSync(file, 'utf8'); } catch (e) { text = `(unreadable: ${e.message})`; }
        return { file, text };
    });
    const log = path.join(root, 'logs', 'error.log');
    let lines = [];
    try { lines = fs.readFileSync(log, 'utf8').split('\n'); } catch { /* none */ }
    lines.forEach((l, i) => {
        if (/runtime error:|ERROR: [A-Za-z]+Sanitizer/.test(l)) {
            // the stack follows; other children's log lines may cut in
            const stack = [];
            for (let j = i + 1; j < lines.length; j++) {
                if (/^\s+#\d+ /.test(lines[j])) stack.push(lines[j]);
                else if (!lines[j].startsWith('[')) break;
            }
            out.push({ file: log, text: [l, ...stack].join('\n') });
        }
    });
    return out;
}
