// German public holidays for the tests' own expectations of the working-day
// rules (Online-Kommunikation deactivation, Bescheid delivery day). Written
// independently of mod_jobcenter/jc_holiday.c: Easter by Gauss's formula
// (Lichtenberg's completion) instead of the Meeus algorithm, the regional
// lists as a table by Land. Dates are local: the tests run in Europe/Berlin
// (tests/lib/env.mjs), the zone the portal counts days in.

// Easter Sunday of year x as [month, day].
export function easter(x) {
    const k = Math.floor(x / 100);
    const m = 15 + Math.floor((3 * k + 3) / 4) - Math.floor((8 * k + 13) / 25);
    const s = 2 - Math.floor((3 * k + 3) / 4);
    const a = x % 19;
    const d = (19 * a + m) % 30;
    const r = Math.floor((d + Math.floor(a / 11)) / 29);
    const og = 21 + d - r;
    const sz = 7 - ((x + Math.floor(x / 4) + s) % 7);
    const oe = 7 - ((og - sz) % 7);
    const os = og + oe;                    // day of March, may exceed 31
    return os > 31 ? [4, os - 31] : [3, os];
}

const NATIONWIDE = ['01-01', '05-01', '10-03', '12-25', '12-26'];
const FIXED = {
    '01-06': ['BW', 'BY', 'ST'],
    '03-08': ['BE', 'MV'],
    '08-15': ['SL'],
    '09-20': ['TH'],
    '10-31': ['BB', 'HB', 'HH', 'MV', 'NI', 'SN', 'ST', 'SH', 'TH'],
    '11-01': ['BW', 'BY', 'NW', 'RP', 'SL'],
};
const CORPUS_CHRISTI = ['BW', 'BY', 'HE', 'NW', 'RP', 'SL'];

const pad = (n) => String(n).padStart(2, '0');

// "YYYY-MM-DD" of a local Date.
export function isoDate(day) {
    return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

// Is the local Date `day` a public holiday in region ('DE' or a Land code)?
export function isHoliday(day, region = 'DE') {
    const y = day.getFullYear();
    const md = `${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
    if (NATIONWIDE.includes(md) || (FIXED[md] || []).includes(region)) return true;
    const [em, ed] = easter(y);
    const e = new Date(y, em - 1, ed, 12);
    const off = Math.round((new Date(y, day.getMonth(), day.getDate(), 12) - e) / 86400000);
    if ([-2, 1, 39, 50].includes(off)) return true;
    if (off === 60 && CORPUS_CHRISTI.includes(region)) return true;
    // Buß- und Bettag: the Wednesday between 16 and 22 November, Saxony
    return region === 'SN' && md >= '11-16' && md <= '11-22' && day.getDay() === 3;
}

export function isWorkday(day, region = 'DE') {
    return day.getDay() !== 0 && day.getDay() !== 6 && !isHoliday(day, region);
}
