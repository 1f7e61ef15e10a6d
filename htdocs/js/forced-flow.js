// The letter flow (one-time credentials, issue 5): which page belongs to a
// session state. Used by the login page, the start page and the two pages
// of the flow, so an interrupted flow resumes at its step.

export const FLOW_PAGES = Object.freeze({
    password_change_required: 'passwort-aendern.html',
    email_required: 'email-angeben.html'
});

// The page of the flow for a state, or null when the state is not one of
// the flow's.
export function flowPage(state) {
    return Object.prototype.hasOwnProperty.call(FLOW_PAGES, state)
        ? FLOW_PAGES[state] : null;
}

import { api, errorMessage } from './api.js';
import { logout } from './logout.js';
import { byId, show, showError } from './ui.js';

// The session check of a page of the flow: GET /api/v1/me; a session in
// another state goes where it belongs (no session: the login page, a later
// state: the start page, the other step: its page). Resolves the answer of
// /me when this page is the right one, otherwise null.
export async function requireFlowState(state) {
    const res = await api('GET', '/api/v1/me');
    if (res.status === 401) {
        window.location.replace('anmeldung.html');
        return null;
    }
    if (res.status !== 200 || !res.data || !res.data.session) {
        show(byId('loading'), false);
        showError(errorMessage(res), []);
        return null;
    }
    const current = res.data.session.state;
    if (current !== state) {
        window.location.replace(flowPage(current) || 'start.html');
        return null;
    }
    show(byId('loading'), false);
    const button = byId('logout');
    if (button) {
        show(button, true);
        button.addEventListener('click', logout);
    }
    return res.data;
}
