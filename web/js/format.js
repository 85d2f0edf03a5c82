// Times as people read them. The server sends unix seconds or ISO 8601 text; anything else is
// shown as it came rather than guessed at.

function to_date(value) {
    if (typeof value === 'number' && Number.isFinite(value)) {
        // Unix seconds; a value this large can only be milliseconds.
        return new Date(value > 1e11 ? value : value * 1000);
    }
    if (typeof value === 'string' && value.trim()) {
        if (/^\d+$/.test(value.trim())) return to_date(Number(value));
        const parsed = Date.parse(value);
        if (!Number.isNaN(parsed)) return new Date(parsed);
    }
    return null;
}

// A <time>-ready pair: the machine-readable value and the words to show.
export function format_time(value) {
    const date = to_date(value);
    if (!date) return {iso: null, text: value === undefined || value === null ? '' : String(value)};
    return {
        iso: date.toISOString(),
        text: date.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'short'}),
    };
}

// A local day such as "2026-05-03", written out; other text is shown unchanged.
export function format_day(day) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day ?? ''));
    if (!match) return String(day ?? '');
    const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return date.toLocaleDateString(undefined, {weekday: 'long', year: 'numeric', month: 'long', day: 'numeric'});
}
