// Entry page: logged in -> start.html, otherwise -> anmeldung.html.

import { api } from './api.js';

const res = await api('GET', '/api/v1/me');
window.location.replace(res.status === 200 ? 'start.html' : 'anmeldung.html');
