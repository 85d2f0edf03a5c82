// The page's entry point: finds out whether a session exists, then routes between the views
// by the URL's hash (#/chat, #/memory/ID, ...), so that Back and bookmarks work without a
// server-side router. Every view keeps its DOM between visits; reset() empties them all when
// the session ends, so that the next user sees nothing of the last one.
import {ApiError, request, set_csrf, set_unauthorized_handler} from './js/api.js';
import {byId} from './js/dom.js';
import {create_chat_view} from './js/views/chat.js';
import {create_journal_view} from './js/views/journal.js';
import {create_login_view} from './js/views/login.js';
import {create_memory_view} from './js/views/memory.js';
import {create_persona_view} from './js/views/persona.js';
import {create_settings_view} from './js/views/settings.js';

// `local`: the server has no accounts and lets this machine in without logging in.
const session = {user: null, admin: false, local: false};
let active = null;  // the view shown: 'login', 'chat', ...

function navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
}

const views = {
    chat: create_chat_view(),
    memory: create_memory_view({navigate}),
    persona: create_persona_view({session}),
    journal: create_journal_view(),
    settings: create_settings_view({session}),
};
const login = create_login_view({on_login: start_session});

function parse_route() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    let decoded;
    try {
        decoded = parts.map(decodeURIComponent);
    } catch {
        decoded = [];  // a hand-typed, malformed hash: fall back to the chat
    }
    const name = Object.hasOwn(views, decoded[0] ?? '') ? decoded[0] : 'chat';
    return {name, params: name === decoded[0] ? decoded.slice(1) : []};
}

function show_section(name) {
    byId('loading').hidden = true;
    for (const section of document.querySelectorAll('main > .view')) section.hidden = section.id !== `view-${name}`;
    byId('app-header').hidden = name === 'login';
    for (const link of document.querySelectorAll('.app-nav a')) {
        if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
    }
    const changed = active !== name;
    active = name;
    return changed;
}

// `focus`: move focus to the view's heading when the view changes, which tells screen readers
// that the page changed; the first view after loading keeps the browser's own focus.
async function route({focus = true} = {}) {
    if (!session.user) return;
    const {name, params} = parse_route();
    const error_line = byId('page-error');
    error_line.textContent = '';
    // The view is busy until its data is shown, which screen readers announce and tests wait on.
    const section = byId(`view-${name}`);
    section.setAttribute('aria-busy', 'true');
    const changed = show_section(name);
    if (changed && focus) section.querySelector('h1').focus();
    try {
        await views[name].show(params);
    } catch (error) {
        if (error instanceof ApiError && error.status === 401) return;  // the login form is shown
        error_line.textContent = `Could not load this page: ${error.message}`;
    } finally {
        section.setAttribute('aria-busy', 'false');
    }
}

async function start_session({focus = true} = {}) {
    const me = await request('/api/me', {expect_unauthorized: true});
    session.user = String(me?.user ?? '');
    session.admin = Boolean(me?.admin);
    session.local = Boolean(me?.local);
    byId('logout').hidden = session.local;
    if (me?.csrf) set_csrf(me.csrf);
    byId('account-name').textContent = session.user;
    active = null;
    await route({focus});
}

// Empties every view and shows the login form; `message` says why, when it was not asked for.
function end_session(message = '') {
    session.user = null;
    session.admin = false;
    session.local = false;
    set_csrf(null);
    for (const view of Object.values(views)) view.reset();
    byId('account-name').textContent = '';
    byId('page-error').textContent = '';
    show_section('login');
    login.show(message);
}

set_unauthorized_handler(() => {
    if (session.user) end_session('Your session has ended. Please log in again.');
});

byId('logout').addEventListener('click', async () => {
    try {
        await request('/api/logout', {method: 'POST'});
    } catch (error) {
        // 401 means the session was already gone, which is what logging out wants.
        if (!(error instanceof ApiError && error.status === 401)) {
            byId('page-error').textContent = `Could not log out: ${error.message}`;
            return;
        }
    }
    login.reset();
    // The next user starts at the chat, not at whatever the last one had open.
    history.replaceState(null, '', location.pathname);
    end_session();
});

byId('skip-link').addEventListener('click', () => {
    const heading = active ? byId(`view-${active}`).querySelector('h1') : null;
    (heading ?? byId('main')).focus();
});

window.addEventListener('hashchange', () => {
    route();
});

async function boot() {
    try {
        await start_session({focus: false});
    } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
            end_session();
            return;
        }
        byId('loading').hidden = true;
        byId('page-error').textContent = `Could not reach the server: ${error.message}`;
    }
}

boot();
