// axe-core and WCAG 2.5.8 target sizes on every page of the portal at
// 360 px (anonymous, citizen, staff): tests/lib/a11y.mjs.
import { sweep } from '../lib/a11y.mjs';

sweep(360);
