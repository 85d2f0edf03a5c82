// Settings: the account, a new password, and the access tokens that let scripts use the API.
// A new token is shown once, with a Copy button; the server never shows it again.
import {request, segment, set_csrf} from '../api.js';
import {confirm_action} from '../confirm.js';
import {byId, fill, h} from '../dom.js';
import {format_time} from '../format.js';

function model_name(model) {
    if (typeof model === 'string') return model;
    if (model && typeof model === 'object') return String(model.name ?? model.path ?? model.id ?? '');
    return '';
}

export function create_settings_view({session}) {
    const password_status = byId('password-status');
    const token_status = byId('token-status');
    const created_box = byId('token-created');
    const token_value = byId('token-value');

    // The server writes 0 (or null) for a time that has not happened: a token never used.
    function time_cell(value, none) {
        if (!value) return h('td', {text: none});
        const when = format_time(value);
        if (!when.text) return h('td', {text: none});
        return h('td', {}, when.iso ? h('time', {datetime: when.iso, text: when.text}) : when.text);
    }

    async function load_tokens() {
        const answer = await request('/api/tokens');
        const tokens = Array.isArray(answer?.tokens) ? answer.tokens : [];
        byId('tokens-empty').hidden = tokens.length > 0;
        byId('token-table-wrap').hidden = tokens.length === 0;
        fill(byId('token-rows'), tokens.map((token) => {
            const label = String(token.label ?? '');
            return h('tr', {},
                     h('td', {text: label}),
                     time_cell(token.created, ''),
                     time_cell(token.last_used, 'Never'),
                     h('td', {},
                       h('button', {type: 'button', class: 'button-danger button-small',
                                    'aria-label': `Revoke token ${label}`,
                                    on: {click: () => revoke(token)}}, 'Revoke')));
        }));
    }

    async function revoke(token) {
        const sure = await confirm_action({
            title: 'Revoke this token?',
            text: `Programs using “${String(token.label ?? '')}” will no longer get in.`,
            action: 'Revoke',
        });
        if (!sure) return;
        try {
            await request(`/api/tokens/${segment(token.id)}`, {method: 'DELETE'});
            token_status.textContent = `Revoked “${String(token.label ?? '')}”.`;
            await load_tokens();
        } catch (error) {
            token_status.textContent = `Could not revoke it: ${error.message}`;
        }
    }

    byId('password-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const current = byId('password-current');
        const next = byId('password-new');
        const repeat = byId('password-repeat');
        if (next.value !== repeat.value) {
            password_status.textContent = 'The two new passwords differ.';
            repeat.focus();
            return;
        }
        try {
            // A wrong current password is an answer here (403, or 401), not a lost session.
            const answer = await request('/api/password', {
                method: 'POST', json: {current: current.value, new: next.value}, expect_unauthorized: true,
            });
            // A new password starts a new session, with a new cookie and CSRF token.
            if (answer?.csrf) set_csrf(answer.csrf);
            for (const input of [current, next, repeat]) input.value = '';
            password_status.textContent = 'Password changed.';
        } catch (error) {
            password_status.textContent = `Could not change the password: ${error.message}`;
        }
    });

    byId('token-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const label_box = byId('token-label');
        const label = label_box.value.trim();
        if (!label) return;
        try {
            const created = await request('/api/tokens', {method: 'POST', json: {label}});
            label_box.value = '';
            token_value.value = String(created?.token ?? '');
            created_box.hidden = false;
            token_status.textContent = `Created “${label}”.`;
            byId('token-copy').focus();
            await load_tokens();
        } catch (error) {
            token_status.textContent = `Could not create the token: ${error.message}`;
        }
    });

    byId('token-copy').addEventListener('click', async () => {
        try {
            await navigator.clipboard.writeText(token_value.value);
        } catch {
            // Without clipboard access (an insecure origin, a denied permission), select the
            // text so that the user can copy it by hand.
            token_value.select();
            token_status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
            return;
        }
        token_status.textContent = 'Copied.';
    });

    return {
        async show() {
            // A token is shown only until the user leaves this view; it cannot be read again.
            token_value.value = '';
            created_box.hidden = true;
            byId('settings-user').textContent = session.user ?? '';
            byId('password-username').value = session.user ?? '';
            byId('settings-admin').textContent = session.admin ? ' (administrator)' : '';
            // Without accounts (the local user) there is no password to change and no token.
            byId('settings-local').hidden = !session.local;
            byId('password-section').hidden = session.local;
            byId('tokens-section').hidden = session.local;
            const health = request('/api/health').then((answer) => {
                byId('settings-model').textContent = model_name(answer?.model) || 'none loaded';
            }, () => {
                byId('settings-model').textContent = 'not known';
            });
            await Promise.all([session.local ? null : load_tokens(), health]);
        },
        // Hides the token shown once, and everything else of this user.
        reset() {
            token_value.value = '';
            created_box.hidden = true;
            byId('token-rows').replaceChildren();
            byId('password-username').value = '';
            password_status.textContent = '';
            token_status.textContent = '';
        },
    };
}
