// Shared client for the JSON API (/api/v1/, see docs/api.md).
//
// api(method, path, body) always resolves (never rejects) to {status, data}:
// - status is the HTTP status, or 0 when the server could not be reached;
// - data is the parsed JSON body, or null (204, empty body);
// - for every failure (status 0 or >= 400) data.error.message holds a German
//   text meant for the user, also when the server sent no JSON (proxy page).
//
// The CSRF token returned by POST /login and GET /me is remembered in a module
// variable and in sessionStorage ('jc_csrf') so it survives page changes, and
// is sent as X-CSRF-Token with every request once known.

export const NETWORK_ERROR_MESSAGE =
    'Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.';

const CSRF_KEY = 'jc_csrf';
const TIMEOUT_MS = 30000;

let csrfToken = null;
try {
    csrfToken = globalThis.sessionStorage
        ? sessionStorage.getItem(CSRF_KEY) : null;
} catch (e) {
    // Storage disabled (privacy mode): the in-memory value still works.
}

export function getCsrfToken() {
    return csrfToken;
}

export function setCsrfToken(token) {
    csrfToken = token || null;
    try {
        if (csrfToken) {
            sessionStorage.setItem(CSRF_KEY, csrfToken);
        } else {
            sessionStorage.removeItem(CSRF_KEY);
        }
    } catch (e) {
        // see above
    }
}

// The time (ms) of the last request the server answered, in this tab or
// another (localStorage 'jc_last_activity'): session-idle.js counts the
// idle timeout from it.
const ACTIVITY_KEY = 'jc_last_activity';
let activity = Date.now();

export function noteActivity() {
    activity = Date.now();
    try {
        localStorage.setItem(ACTIVITY_KEY, String(activity));
    } catch (e) {
        // storage disabled: this tab's own time still counts
    }
}

export function lastActivity() {
    let shared = 0;
    try {
        shared = Number(localStorage.getItem(ACTIVITY_KEY)) || 0;
    } catch (e) {
        shared = 0;
    }
    return Math.max(activity, shared);
}

export function clearCsrfToken() {
    setCsrfToken(null);
}

function fallbackError(status) {
    let message;
    if (status === 503 || status === 502 || status === 504) {
        message = 'Der Dienst ist vorübergehend nicht verfügbar. '
            + 'Bitte versuchen Sie es später erneut.';
    } else {
        message = 'Es ist ein Fehler aufgetreten (HTTP ' + status + '). '
            + 'Bitte versuchen Sie es später erneut.';
    }
    return { error: { code: 'http_' + status, message: message, field: null } };
}

export async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    const init = {
        method: method,
        headers: headers,
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'follow'
    };
    if (body !== undefined && method !== 'GET' && method !== 'HEAD') {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    if (csrfToken) {
        headers['X-CSRF-Token'] = csrfToken;
    }

    let controller = null;
    let timer = null;
    if (typeof AbortController === 'function') {
        controller = new AbortController();
        init.signal = controller.signal;
        timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    }

    let res;
    try {
        res = await fetch(path, init);
    } catch (e) {
        if (timer) clearTimeout(timer);
        return {
            status: 0,
            data: { error: { code: 'network_error',
                             message: NETWORK_ERROR_MESSAGE, field: null } }
        };
    }

    let data = null;
    try {
        const type = res.headers.get('Content-Type') || '';
        if (res.status !== 204 && type.toLowerCase().includes('json')) {
            data = await res.json();
        } else {
            // Read to the end even without a body we use (204): the
            // request is then finished, so a navigation right after this
            // call (e.g. after logout) cannot abort it.
            await res.arrayBuffer();
        }
    } catch (e) {
        data = null;
    } finally {
        if (timer) clearTimeout(timer);
    }

    if (res.status >= 400 && !(data && data.error
                               && typeof data.error.message === 'string')) {
        data = fallbackError(res.status);
    }
    if (data && typeof data.csrf_token === 'string' && data.csrf_token) {
        setCsrfToken(data.csrf_token);
    }
    const code = data && data.error ? data.error.code : null;
    if (code !== 'not_authenticated' && code !== 'session_expired') {
        noteActivity();
    }
    if (res.status === 401
            && (code === 'not_authenticated' || code === 'session_expired')) {
        // No (valid) session any more: its token is worthless. Other 401
        // answers (a wrong password, a wrong code) leave the session as
        // it is.
        setCsrfToken(null);
    }
    return { status: res.status, data: data };
}

// The German message of a failed call, with a fallback.
export function errorMessage(result) {
    if (result && result.data && result.data.error
            && typeof result.data.error.message === 'string'
            && result.data.error.message) {
        return result.data.error.message;
    }
    return 'Es ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.';
}

export function errorCode(result) {
    return (result && result.data && result.data.error
            && result.data.error.code) || null;
}
