// verlauf.html: the account's own events (GET /api/v1/verlauf, newest
// first), each with date and time in German form (Europe/Berlin) and the
// German text the server gives for it.

import { api, errorMessage } from './api.js';
import { dateTimeDe } from './german-time.js';
import { requireFullSession } from './session-guard.js';
import { byId, show, showError } from './ui.js';

// "27.11.2026, 18:03 Uhr"
export const germanDateTime = dateTimeDe;

async function init() {
    if (!(await requireFullSession())) return;
    const res = await api('GET', '/api/v1/verlauf');
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data || !Array.isArray(res.data.events)) {
        showError(errorMessage(res), []);
        return;
    }
    const list = byId('event-list');
    for (const e of res.data.events) {
        const li = document.createElement('li');
        li.className = 'event';
        const time = document.createElement('time');
        time.dateTime = new Date(e.at * 1000).toISOString();
        time.textContent = germanDateTime(e.at);
        const text = document.createElement('span');
        text.className = 'event-text';
        text.textContent = e.text + (e.detail ? ' (' + e.detail + ')' : '');
        li.append(time, text);
        list.appendChild(li);
    }
    show(byId('event-empty'), res.data.events.length === 0);
    show(byId('verlauf'), true);
}

init();
