// The user the test Apaches' workers run as, decided once per process by
// tools/worker-user.sh (the rule of ./build.sh run): www-data, or the
// owner of the checkout when www-data cannot reach its htdocs (a clone in
// a home directory of mode 0700). Its state directories (database, mail,
// upload store) are chowned to it, and SQLite is opened as it.
//   import { WORKER } from './worker.mjs';  // { user, group, uid, gid }
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function lookup() {
    const user = execFileSync(path.join(TOP, 'tools', 'worker-user.sh'), { encoding: 'utf8' }).trim();
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
    if (!line) throw new Error(`worker user ${user}: not in /etc/passwd`);
    const f = line.split(':');
    const group = execFileSync('id', ['-gn', user], { encoding: 'utf8' }).trim();
    return { user, group, uid: Number(f[2]), gid: Number(f[3]), owner: `${user}:${group}` };
}

export const WORKER = lookup();
