// The memory browser: recent memories or a search, one memory opened with the conversation
// turns it came from ("why do you remember this"), editing, and forgetting after asking.
import {ApiError, request, segment} from '../api.js';
import {confirm_action} from '../confirm.js';
import {byId, fill, h} from '../dom.js';
import {format_time} from '../format.js';

const kind_names = {episode: 'Something said', fact: 'Fact', reflection: 'Reflection'};

function kind_name(kind) {
    return kind_names[kind] ?? String(kind ?? 'Memory');
}

function time_element(value) {
    const when = format_time(value);
    if (!when.text) return null;
    return when.iso ? h('time', {datetime: when.iso, text: when.text}) : h('span', {text: when.text});
}

export function create_memory_view({navigate}) {
    const list = byId('memory-list');
    const list_title = byId('memory-results-title');
    const status = byId('memory-status');
    const query_box = byId('memory-query');
    const detail = byId('memory-detail');
    const edit_form = byId('memory-edit-form');
    const edit_box = byId('memory-edit-text');
    const actions = byId('memory-actions');

    let query = '';       // the search shown; empty: the recent memories
    let opened = null;    // the memory in the detail panel
    let notice = '';      // what an action reports once the view it leads to has loaded

    function item(memory) {
        const id = memory.id;
        return h('li', {class: 'memory-item'},
                 h('a', {href: `#/memory/${segment(id)}`, class: 'memory-link', dataset: {memoryId: id}},
                   h('span', {class: 'memory-item-text', text: String(memory.text ?? '')}),
                   h('span', {class: 'memory-item-meta'},
                     h('span', {text: kind_name(memory.kind)}), ' · ', time_element(memory.time))));
    }

    // The list is marked busy while it loads, for screen readers and for anyone waiting on it.
    async function load_list() {
        list.setAttribute('aria-busy', 'true');
        try {
            await fill_list();
        } finally {
            list.setAttribute('aria-busy', 'false');
        }
    }

    async function fill_list() {
        let memories;
        if (query) {
            const answer = await request(`/api/memory/search?q=${encodeURIComponent(query)}`);
            memories = Array.isArray(answer?.hits) ? answer.hits : [];
            list_title.textContent = `Memories matching “${query}”`;
            status.textContent = notice || (memories.length === 0 ? 'Nothing remembered matches that.' :
                `${memories.length} ${memories.length === 1 ? 'memory matches' : 'memories match'}.`);
        } else {
            const answer = await request('/api/memory?limit=50');
            memories = Array.isArray(answer?.memories) ? answer.memories : [];
            list_title.textContent = 'Recent memories';
            status.textContent = notice || (memories.length === 0 ? 'Nothing remembered yet.' : '');
        }
        notice = '';
        fill(list, memories.map(item));
    }

    async function load_core() {
        const core = await request('/api/memory/core').catch(() => null);
        byId('core-human').textContent = String(core?.human ?? '') || 'Nothing yet.';
        byId('core-persona').textContent = String(core?.persona ?? '') || 'Nothing yet.';
    }

    function show_detail(memory) {
        opened = memory;
        detail.hidden = false;
        edit_form.hidden = true;
        actions.hidden = false;
        byId('memory-detail-title').textContent = kind_name(memory.kind);
        byId('memory-detail-text').textContent = String(memory.text ?? '');
        const importance = Number(memory.importance);
        fill(byId('memory-detail-meta'),
             h('dt', {text: 'When'}), h('dd', {}, time_element(memory.time) ?? 'Not known'),
             Number.isFinite(importance) ? [h('dt', {text: 'Importance'}), h('dd', {text: `${Math.round(importance * 100)}%`})] : null);
        const provenance = Array.isArray(memory.provenance) ? memory.provenance : [];
        byId('provenance-empty').hidden = provenance.length > 0;
        fill(byId('memory-provenance'), provenance.map(provenance_item));
    }

    // A conversation turn the memory was drawn from; a source that is no turn (an import, a
    // turn forgotten since) is named as the server gave it.
    function provenance_item(source) {
        if (typeof source.text !== 'string') {
            return h('li', {class: 'provenance-turn'},
                     h('p', {class: 'turn-meta', text: `From ${String(source.source ?? 'an unknown source')}`}));
        }
        return h('li', {class: 'provenance-turn'},
                 h('p', {class: 'turn-meta'},
                   h('span', {class: 'turn-speaker', text: source.role === 'user' ? 'You said' : 'It said'}), ' ',
                   time_element(source.time)),
                 h('p', {class: 'block-text', text: source.text}));
    }

    function show_missing(id) {
        opened = null;
        detail.hidden = false;
        edit_form.hidden = true;
        actions.hidden = true;
        byId('memory-detail-title').textContent = 'Memory not found';
        byId('memory-detail-text').textContent = `There is no memory ${id}: it was forgotten, or never existed.`;
        byId('memory-detail-meta').replaceChildren();
        byId('memory-provenance').replaceChildren();
        byId('provenance-empty').hidden = true;
    }

    async function open_memory(id) {
        try {
            show_detail(await request(`/api/memory/${segment(id)}`));
        } catch (error) {
            if (!(error instanceof ApiError && error.status === 404)) throw error;
            show_missing(id);
        }
    }

    byId('memory-search-form').addEventListener('submit', (event) => {
        event.preventDefault();
        query = query_box.value.trim();
        load_list().catch((error) => { status.textContent = `Search failed: ${error.message}`; });
    });

    byId('memory-add-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const box = byId('memory-new');
        const text = box.value.trim();
        if (!text) return;
        try {
            const created = await request('/api/memory', {method: 'POST', json: {text}});
            box.value = '';
            notice = 'Remembered.';
            if (created?.id !== undefined) navigate(`#/memory/${segment(created.id)}`);
            else await load_list();
        } catch (error) {
            status.textContent = `Could not remember that: ${error.message}`;
        }
    });

    byId('memory-edit').addEventListener('click', () => {
        if (!opened) return;
        edit_box.value = String(opened.text ?? '');
        edit_form.hidden = false;
        actions.hidden = true;
        edit_box.focus();
    });
    byId('memory-edit-cancel').addEventListener('click', () => {
        edit_form.hidden = true;
        actions.hidden = false;
        byId('memory-edit').focus();
    });
    edit_form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!opened) return;
        const text = edit_box.value.trim();
        if (!text) return;
        try {
            await request(`/api/memory/${segment(opened.id)}`, {method: 'PATCH', json: {text}});
            // The edited memory comes back from the full read, with its provenance.
            await open_memory(opened.id);
            notice = 'Saved.';
            byId('memory-edit').focus();
            await load_list();
        } catch (error) {
            status.textContent = `Could not save: ${error.message}`;
        }
    });

    byId('memory-forget').addEventListener('click', async () => {
        if (!opened) return;
        const memory = opened;
        const sure = await confirm_action({
            title: 'Forget this memory?',
            text: `“${String(memory.text ?? '')}” will be erased for good, with what was drawn only from it.`,
            action: 'Forget',
        });
        if (!sure) return;
        try {
            await request(`/api/memory/${segment(memory.id)}`, {method: 'DELETE'});
        } catch (error) {
            if (!(error instanceof ApiError && error.status === 404)) {
                status.textContent = `Could not forget it: ${error.message}`;
                return;
            }
        }
        opened = null;
        detail.hidden = true;
        notice = 'Forgotten.';
        navigate('#/memory');
    });

    byId('memory-forget-all').addEventListener('click', async () => {
        const sure = await confirm_action({
            title: 'Forget everything?',
            text: 'Every memory, every conversation, what it knows about you and the journal will be erased, ' +
                  'backups included. Its own persona stays. This cannot be undone.',
            action: 'Forget everything',
        });
        if (!sure) return;
        try {
            await request('/api/memory/forget-all', {method: 'POST', json: {confirm: true}});
            opened = null;
            detail.hidden = true;
            query = '';
            query_box.value = '';
            notice = 'Everything is forgotten.';
            await Promise.all([load_list(), load_core()]);
        } catch (error) {
            status.textContent = `Could not forget everything: ${error.message}`;
        }
    });

    return {
        // params[0]: the id of the memory to open, if any.
        async show(params) {
            const id = params[0];
            await Promise.all([load_list(), load_core(), id !== undefined ? open_memory(id) : null]);
            if (id === undefined) {
                opened = null;
                detail.hidden = true;
            } else {
                byId('memory-detail-title').focus();
            }
        },
        reset() {
            opened = null;
            notice = '';
            query = '';
            query_box.value = '';
            detail.hidden = true;
            list.replaceChildren();
            status.textContent = '';
            byId('core-human').textContent = '';
            byId('core-persona').textContent = '';
        },
    };
}
