// The companion's journal: one entry per day, newest first, rendered from Markdown into text
// nodes (the model writes it).
import {request} from '../api.js';
import {byId, fill, h} from '../dom.js';
import {format_day} from '../format.js';
import {render_markdown} from '../markdown.js';

export function create_journal_view() {
    const list = byId('journal-list');
    const status = byId('journal-status');

    return {
        async show() {
            const answer = await request('/api/journal?limit=60');
            const entries = Array.isArray(answer?.entries) ? answer.entries : [];
            status.textContent = entries.length === 0 ? 'No entries yet: one is written for each day you talk.' : '';
            fill(list, entries.map((entry) => {
                const body = h('div', {class: 'journal-text'});
                body.append(render_markdown(String(entry.text ?? '')));
                const day = String(entry.day ?? '');
                return h('li', {class: 'card journal-entry'},
                         h('h2', {}, /^\d{4}-\d{2}-\d{2}$/.test(day) ?
                           h('time', {datetime: day, text: format_day(day)}) : day),
                         body);
            }));
        },
        reset() {
            list.replaceChildren();
            status.textContent = '';
        },
    };
}
