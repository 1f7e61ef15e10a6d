// Small DOM helpers shared by the page modules: the message summary
// (#messages, role="alert"), field errors linked by aria-describedby,
// busy state of forms, query parameters.

export function byId(id) {
    return document.getElementById(id);
}

export function param(name) {
    return new URLSearchParams(window.location.search).get(name);
}

// The return path of the gate (?ziel=...) when it is a safe same-site path
// (one leading '/', not '//' or '/\\', no control characters, stays on this
// origin), else null. Same rule as the server's jc_gate_safe_target.
export function safeTarget(value) {
    if (typeof value !== 'string' || value[0] !== '/' || value[1] === '/'
        || value[1] === '\\' || /[\u0000-\u001f\u007f]/.test(value)) {
        return null;
    }
    try {
        const u = new URL(value, window.location.origin);
        return u.origin === window.location.origin ? value : null;
    } catch {
        return null;
    }
}

// Where to go after a complete login: ?ziel= if safe, else start.html.
export function afterLogin() {
    return safeTarget(param('ziel')) || 'start.html';
}

// "?ziel=..." to carry a safe return path to the next page, or ''.
export function zielQuery() {
    const t = safeTarget(param('ziel'));
    return t ? '?ziel=' + encodeURIComponent(t) : '';
}

// Label text of a field without the trailing required marker " *".
export function labelText(fieldId) {
    const label = document.querySelector('label[for="' + fieldId + '"]');
    if (!label) return '';
    return label.textContent.replace(/\s*\*\s*$/, '').replace(/\s+/g, ' ')
        .trim();
}

function isShown(el) {
    return !!el && el.getClientRects().length > 0;
}

// Fill #messages and (by default) move the focus there.
// kind: 'error' | 'success' | 'info'
// items: [{text, field}] - field (an input id) turns the entry into a link
//        to that field while the field is visible.
// Every text goes in with textContent, never as HTML.
export function showMessages(kind, title, items, options) {
    const box = byId('messages');
    if (!box) return;
    const opts = options || {};
    box.textContent = '';
    box.className = 'messages messages-' + kind;
    if (title) {
        const h = document.createElement('h2');
        h.className = 'messages-title';
        h.textContent = title;
        box.appendChild(h);
    }
    const list = (items || []).filter((it) => it && it.text);
    if (list.length === 1 && !list[0].field) {
        const p = document.createElement('p');
        p.textContent = list[0].text;
        box.appendChild(p);
    } else if (list.length > 0) {
        const ul = document.createElement('ul');
        for (const it of list) {
            const li = document.createElement('li');
            const target = it.field ? byId(it.field) : null;
            if (target && isShown(target)) {
                const a = document.createElement('a');
                a.href = '#' + it.field;
                a.dataset.field = it.field;
                a.textContent = it.text;
                li.appendChild(a);
            } else {
                li.textContent = it.text;
            }
            ul.appendChild(li);
        }
        box.appendChild(ul);
    }
    if (opts.focus !== false) {
        box.focus();
        box.scrollIntoView({ block: 'start' });
    }
}

export function showError(title, items, options) {
    showMessages('error', title, items, options);
}

export function clearMessages() {
    const box = byId('messages');
    if (box) {
        box.textContent = '';
        box.className = 'messages';
    }
}

function describedBy(el) {
    return (el.getAttribute('aria-describedby') || '').split(/\s+/)
        .filter(Boolean);
}

// Show text as the error of one field: a paragraph inside the field's
// wrapper (.field), referenced from the input by aria-describedby.
export function setFieldError(fieldId, text) {
    const input = byId(fieldId);
    if (!input) return;
    const wrapper = input.closest('.field') || input.parentElement;
    const errId = fieldId + '-error';
    let p = byId(errId);
    if (!p) {
        p = document.createElement('p');
        p.id = errId;
        p.className = 'field-error';
        if (input.type === 'checkbox') {
            wrapper.insertBefore(p, wrapper.firstChild);
        } else {
            input.parentElement.insertBefore(p, input);
        }
    }
    p.textContent = '';
    const span = document.createElement('span');
    span.className = 'sr-only';
    span.textContent = 'Fehler: ';
    p.appendChild(span);
    p.appendChild(document.createTextNode(text));
    input.setAttribute('aria-invalid', 'true');
    const ids = describedBy(input);
    if (!ids.includes(errId)) {
        ids.unshift(errId);
        input.setAttribute('aria-describedby', ids.join(' '));
    }
    if (wrapper) wrapper.classList.add('has-error');
}

export function clearFieldError(fieldId) {
    const input = byId(fieldId);
    const errId = fieldId + '-error';
    const p = byId(errId);
    if (p) p.remove();
    if (!input) return;
    input.removeAttribute('aria-invalid');
    const ids = describedBy(input).filter((id) => id !== errId);
    if (ids.length > 0) {
        input.setAttribute('aria-describedby', ids.join(' '));
    } else {
        input.removeAttribute('aria-describedby');
    }
    const wrapper = input.closest('.field');
    if (wrapper) wrapper.classList.remove('has-error');
}

export function clearFieldErrors(root) {
    const scope = root || document;
    for (const el of scope.querySelectorAll('[aria-invalid="true"]')) {
        clearFieldError(el.id);
    }
}

// Busy state: the submit button stays focusable (a disabled button would
// drop the keyboard focus), repeated submits are ignored via isBusy().
export function setBusy(form, busy) {
    if (!form) return;
    if (busy) {
        form.setAttribute('aria-busy', 'true');
        form.classList.add('is-busy');
    } else {
        form.removeAttribute('aria-busy');
        form.classList.remove('is-busy');
    }
}

export function isBusy(form) {
    return !!form && form.getAttribute('aria-busy') === 'true';
}

// Links in the summary move the focus into their field.
function onSummaryClick(ev) {
    const a = ev.target.closest ? ev.target.closest('a[data-field]') : null;
    if (!a) return;
    const input = byId(a.dataset.field);
    if (!input) return;
    ev.preventDefault();
    input.focus();
    input.scrollIntoView({ block: 'center' });
}

// Show/hide a block (uses the hidden attribute, no inline styles).
export function show(el, visible) {
    if (el) el.hidden = !visible;
}

// Add term and value (as text) to a description list dl; the <dd>.
export function fact(dl, term, value) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dl.append(dt, dd);
    return dd;
}

export function focusHeading(el) {
    if (!el) return;
    if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
    el.focus();
}

document.addEventListener('click', onSummaryClick);
