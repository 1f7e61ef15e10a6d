// "Abmelden" / "Abbrechen": POST /api/v1/logout with X-CSRF-Token, then
// anmeldung.html?abgemeldet=1. Shared by start.html and the second-factor
// pages.

import { api, errorMessage, errorCode, clearCsrfToken, getCsrfToken } from './api.js';
import { showError, clearMessages } from './ui.js';
import { dropCode } from './fsc-pending.js';

let loggingOut = false;

export async function logout() {
    if (loggingOut) return;
    loggingOut = true;
    clearMessages();
    // api() sends the X-CSRF-Token remembered from GET /me; the empty JSON
    // object makes it send Content-Type: application/json as well.
    let res = await api('POST', '/api/v1/logout', {});
    if (res.status === 403 && errorCode(res) === 'csrf_failed') {
        // Token out of date (e.g. a login in another tab): fetch the
        // current one and try once more.
        const me = await api('GET', '/api/v1/me');
        if (me.status === 200 && getCsrfToken()) {
            res = await api('POST', '/api/v1/logout', {});
        } else if (me.status === 401) {
            res = me;
        }
    }
    if (res.status === 204 || res.status === 200 || res.status === 401) {
        // 401: the session is gone already - the user is logged out.
        clearCsrfToken();
        dropCode();     // a kept Freischaltcode is not for the next user
        window.location.replace('/anmeldung.html?abgemeldet=1');
        return;
    }
    loggingOut = false;
    showError(errorMessage(res), []);
}
