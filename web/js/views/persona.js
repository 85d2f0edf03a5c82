// The companion's persona: its card shown field by field (as text), a card imported from a
// JSON or PNG file, and the card exported as either.
import {request} from '../api.js';
import {byId, fill, h} from '../dom.js';

const fields = [
    ['description', 'Description'],
    ['personality', 'Personality'],
    ['scenario', 'Scenario'],
    ['first_message', 'First message'],
];

// The type to send a chosen file as: the browser's guess, else its extension. PNG cards carry
// their JSON in a text chunk, so the server needs to know which it is reading.
function card_type(file) {
    if (file.type === 'image/png' || file.type === 'application/json') return file.type;
    return /\.png$/i.test(file.name) ? 'image/png' : 'application/json';
}

// Cards write {{char}} and {{user}} for the two names, as character card tools do; they are
// shown filled in, as the companion reads them.
function fill_names(text, names) {
    return text.replace(/\{\{(char|user)\}\}/gi, (_, which) => names[which.toLowerCase()]);
}

export function create_persona_view({session}) {
    const status = byId('persona-status');
    const file_input = byId('persona-file');

    function show_persona(persona) {
        const name = typeof persona?.name === 'string' && persona.name.trim() ? persona.name : 'Unnamed';
        byId('persona-name').textContent = name;
        // The companion may have chosen a name of its own; the card's is then shown too.
        const card_name = typeof persona?.card_name === 'string' ? persona.card_name : '';
        fill(byId('persona-fields'),
             card_name && card_name !== name ? [h('dt', {text: 'Name on the card'}), h('dd', {text: card_name})] : null,
             fields.map(([key, label]) => {
                 const raw = typeof persona?.[key] === 'string' ? persona[key] : '';
                 if (!raw.trim()) return null;
                 const value = fill_names(raw, {char: name, user: session.user || 'you'});
                 return [h('dt', {text: label}), h('dd', {class: 'block-text', text: value})];
             }));
    }

    byId('persona-import-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const file = file_input.files?.[0];
        if (!file) {
            status.textContent = 'Choose a card file first.';
            return;
        }
        status.textContent = `Importing ${file.name}…`;
        try {
            const persona = await request('/api/persona', {method: 'POST', body: file, content_type: card_type(file)});
            show_persona(persona);
            file_input.value = '';
            status.textContent = `Imported ${file.name}.`;
        } catch (error) {
            status.textContent = `Could not import ${file.name}: ${error.message}`;
        }
    });

    return {
        async show() {
            show_persona(await request('/api/persona'));
        },
        reset() {
            byId('persona-name').textContent = '';
            byId('persona-fields').replaceChildren();
            status.textContent = '';
        },
    };
}
