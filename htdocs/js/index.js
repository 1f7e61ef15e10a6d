// Entry page: the seed's "Anmelden / Registrieren" choice (guide step 2).
// Somebody already signed in goes on to start.html.

import { api } from './api.js';

const res = await api('GET', '/api/v1/me');
if (res.status === 200) window.location.replace('start.html');
