// Dates and times as people in Germany read them: always German time
// (Europe/Berlin, with summer time), whatever time zone the browser is in.
// Every page that shows an epoch second formats it here.

const DATE = new Intl.DateTimeFormat('de-DE', {
    timeZone: 'Europe/Berlin', day: '2-digit', month: '2-digit', year: 'numeric'
});
const TIME = new Intl.DateTimeFormat('de-DE', {
    timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
});

// epoch seconds -> "08.01.2027"
export function dateDe(sec) {
    return DATE.format(new Date(sec * 1000));
}

// epoch seconds -> "18:03"
export function timeDe(sec) {
    return TIME.format(new Date(sec * 1000));
}

// epoch seconds -> "08.01.2027, 18:03 Uhr"
export function dateTimeDe(sec) {
    return dateDe(sec) + ', ' + timeDe(sec) + ' Uhr';
}

// epoch seconds -> "08.01.2027 um 18:03 Uhr"
export function dateUmTimeDe(sec) {
    return dateDe(sec) + ' um ' + timeDe(sec) + ' Uhr';
}

// today's date in Berlin as "YYYY-MM-DD" (for date inputs and file names)
export function todayIso(now = Date.now()) {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
        timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit'
    }).formatToParts(new Date(now)).map((x) => [x.type, x.value]));
    return p.year + '-' + p.month + '-' + p.day;
}
