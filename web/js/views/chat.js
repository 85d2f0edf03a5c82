// The chat: the conversation list, the transcript, and a reply that is drawn as it streams in,
// with a Stop button that cancels it. The mood panel beside it follows every turn.
import {ApiError, request, segment} from '../api.js';
import {stream_chat} from '../chat-client.js';
import {byId, fill, h} from '../dom.js';
import {format_time} from '../format.js';
import {render_markdown} from '../markdown.js';
import {MoodVisual, mood_description} from '../mood-visual.js';
import {create_voice_panel} from './voice-panel.js';

export function create_chat_view() {
    const transcript = byId('transcript');
    const status = byId('chat-status');
    const composer = byId('composer');
    const message_box = byId('message');
    const send_button = byId('send');
    const stop_button = byId('stop');
    const list = byId('conversation-list');
    const new_button = byId('new-conversation');
    const toggle = byId('conversations-toggle');
    const panel = byId('conversation-panel');
    const mood_visual = new MoodVisual(byId('mood-visual'));

    let conversations = [];
    let current = null;          // the conversation shown, or null before the first turn
    let companion_name = 'os1';  // the persona's name, for labelling its turns
    let streaming = null;        // {controller} while a reply is being written
    let voice_on = false;        // a spoken conversation is open (in `current`)
    let voice_reply = null;      // {element, text} while a spoken reply streams in

    function show_mood(mood) {
        if (!mood) return;
        mood_visual.update(mood);
        byId('mood-label').textContent = mood_description(mood);
    }

    function show_relationship(relationship) {
        if (relationship && typeof relationship.stage === 'string' && relationship.stage) {
            byId('relationship-stage').textContent = relationship.stage;
        }
    }

    function speaker(role) {
        return role === 'user' ? 'You' : companion_name;
    }

    // One turn of the transcript; its body is Markdown rendered into nodes, never HTML.
    function turn_element(role, text, {time, interrupted} = {}) {
        const when = time !== undefined ? format_time(time) : null;
        const body = h('div', {class: 'turn-body'});
        body.append(render_markdown(text));
        return h('li', {class: `turn turn-${role === 'user' ? 'user' : 'assistant'}`},
                 h('p', {class: 'turn-meta'},
                   h('span', {class: 'turn-speaker', text: speaker(role)}),
                   when && when.iso ? h('time', {datetime: when.iso, text: when.text}) : null,
                   interrupted ? h('span', {class: 'turn-flag', text: 'interrupted'}) : null),
                 body);
    }

    // The conversation shown is part of the address (#/chat/ID), so that a reload or a bookmark
    // comes back to it. Replacing the entry keeps Back for moving between views; a reply that
    // streams on while another view is open leaves that view's address alone.
    function show_in_address(id) {
        current = id;
        if (!/^(#\/chat(\/.*)?)?$/.test(location.hash)) return;
        const hash = id === null ? '#/chat' : `#/chat/${encodeURIComponent(String(id))}`;
        if (location.hash !== hash) history.replaceState(null, '', hash);
    }

    function scroll_to_end() {
        transcript.scrollTop = transcript.scrollHeight;
    }

    function conversation_title(conversation) {
        if (typeof conversation.title === 'string' && conversation.title.trim()) return conversation.title.trim();
        const started = format_time(conversation.started);
        return started.text ? `Conversation of ${started.text}` : 'Untitled conversation';
    }

    function render_list() {
        byId('conversations-empty').hidden = conversations.length > 0;
        fill(list, conversations.map((conversation) => {
            const last = format_time(conversation.last ?? conversation.started);
            const turns = Number(conversation.turns) || 0;
            const selected = String(conversation.id) === String(current);
            return h('li', {},
                     h('button', {
                         type: 'button', class: 'conversation-item', 'aria-current': selected ? 'true' : null,
                         dataset: {conversationId: conversation.id},
                         disabled: streaming !== null || voice_on,
                         on: {click: () => open_conversation(conversation.id, {focus: true})},
                     },
                       h('span', {class: 'conversation-title', text: conversation_title(conversation)}),
                       h('span', {class: 'conversation-meta',
                                  text: `${turns} ${turns === 1 ? 'turn' : 'turns'}${last.text ? ` · ${last.text}` : ''}`})));
        }));
    }

    async function load_list() {
        const answer = await request('/api/conversations');
        conversations = Array.isArray(answer?.conversations) ? answer.conversations : [];
        const order = (c) => Number(new Date(format_time(c.last ?? c.started).iso ?? 0)) || 0;
        // Newest first; conversations last used in the same second, newest created first.
        conversations.sort((a, b) => order(b) - order(a) || Number(b.id) - Number(a.id) || 0);
        render_list();
    }

    async function open_conversation(id, {focus = false} = {}) {
        if (streaming || voice_on) return;
        show_in_address(id);
        render_list();
        set_panel_open(false);
        const conversation = await request(`/api/conversations/${segment(id)}`);
        if (String(current) !== String(id)) return;  // another was opened meanwhile
        const turns = Array.isArray(conversation?.turns) ? conversation.turns : [];
        fill(transcript, turns.map((turn) => turn_element(turn.role, String(turn.text ?? ''), turn)));
        status.textContent = '';
        scroll_to_end();
        if (focus) message_box.focus();
    }

    async function new_conversation() {
        if (streaming || voice_on) return;
        const created = await request('/api/conversations', {method: 'POST', json: {}});
        show_in_address(created?.id ?? null);
        transcript.replaceChildren();
        await load_list();
        status.textContent = 'New conversation started.';
        set_panel_open(false);
        message_box.focus();
    }

    function set_streaming(controller) {
        streaming = controller ? {controller} : null;
        stop_button.hidden = !controller;
        send_button.disabled = Boolean(controller);
        new_button.disabled = Boolean(controller) || voice_on;
        render_list();
    }

    // --- the spoken conversation: its turns appear as typed ones do -------------------------

    function voice_reply_element() {
        if (!voice_reply) {
            const body = h('div', {class: 'turn-body', 'aria-live': 'polite', 'aria-busy': 'true'});
            const element = h('li', {class: 'turn turn-assistant turn-streaming turn-voice'},
                              h('p', {class: 'turn-meta'}, h('span', {class: 'turn-speaker', text: speaker('assistant')})),
                              body);
            transcript.append(element);
            voice_reply = {element, body, text: ''};
        }
        return voice_reply;
    }

    async function refresh_after_voice_turn() {
        const mood = await request('/api/mood').catch(() => null);
        if (mood) {
            show_mood(mood);
            show_relationship(mood.relationship);
        }
        await load_list().catch(() => {});
    }

    const voice = create_voice_panel({
        conversation: () => current,
        on_conversation(id) {
            if (String(id) === String(current)) return;
            show_in_address(id);
            transcript.replaceChildren();
            load_list().catch(() => {});
        },
        on_transcript(text) {
            if (!text) return;
            transcript.append(h('li', {class: 'turn turn-user turn-voice'},
                                h('p', {class: 'turn-meta'}, h('span', {class: 'turn-speaker', text: speaker('user')})),
                                h('div', {class: 'turn-body', text})));
            scroll_to_end();
        },
        on_reply_piece(text) {
            const reply = voice_reply_element();
            reply.text += text;
            reply.body.replaceChildren(render_markdown(reply.text));
            scroll_to_end();
        },
        on_turn(turn) {
            // What was said aloud is what is stored, so that is what the transcript keeps.
            const element = turn_element('assistant', turn.spoken, {interrupted: turn.interrupted});
            element.classList.add('turn-voice');
            if (voice_reply) voice_reply.element.replaceWith(element);
            else if (turn.spoken) transcript.append(element);
            voice_reply = null;
            status.textContent = turn.interrupted ? 'Reply interrupted.' : 'Reply complete.';
            scroll_to_end();
            refresh_after_voice_turn().catch(() => {});
        },
        on_turn_failed(message) {
            if (voice_reply) {
                voice_reply.element.classList.remove('turn-streaming');
                voice_reply.body.setAttribute('aria-busy', 'false');
                voice_reply = null;
            }
            status.textContent = `The spoken reply failed: ${message}`;
        },
        on_idle_changed(on) {
            voice_on = on;
            new_button.disabled = Boolean(streaming) || voice_on;
            if (!on && voice_reply) {
                voice_reply.element.classList.remove('turn-streaming');
                voice_reply.body.setAttribute('aria-busy', 'false');
                voice_reply = null;
                // The server stored what was said aloud; the list and the transcript show it.
                if (current !== null) open_conversation(current).catch(() => {});
            }
            render_list();
        },
    });

    // Sends one message and draws the reply as its pieces arrive.
    async function send(text) {
        const controller = new AbortController();
        set_streaming(controller);
        transcript.append(turn_element('user', text));
        const body = h('div', {class: 'turn-body', 'aria-live': 'polite', 'aria-busy': 'true'});
        const flags = h('p', {class: 'turn-notes'});
        const reply = h('li', {class: 'turn turn-assistant turn-streaming'},
                        h('p', {class: 'turn-meta'}, h('span', {class: 'turn-speaker', text: speaker('assistant')})),
                        body, flags);
        transcript.append(reply);
        scroll_to_end();
        status.textContent = `${companion_name} is writing…`;

        let reply_text = '';
        let ended = false;
        const note = (text, kind = 'note') => flags.append(h('span', {class: `turn-${kind}`, text}));
        try {
            for await (const {event, data} of stream_chat({message: text, conversation: current, signal: controller.signal})) {
                if (event === 'prepared') {
                    if (data.conversation !== undefined && data.conversation !== null) show_in_address(data.conversation);
                    show_mood(data.mood);
                    if (Array.isArray(data.recalled) && data.recalled.length > 0) reply.append(recalled_element(data.recalled));
                } else if (event === 'text') {
                    reply_text += String(data.text ?? '');
                    body.replaceChildren(render_markdown(reply_text));
                    scroll_to_end();
                } else if (event === 'notice') {
                    note(String(data.text ?? ''));
                } else if (event === 'done') {
                    ended = true;
                    show_mood(data.mood);
                    show_relationship(data.relationship);
                    if (data.interrupted) note('interrupted', 'flag');
                    status.textContent = 'Reply complete.';
                } else if (event === 'error') {
                    ended = true;
                    note(`The reply failed: ${String(data.message ?? 'unknown error')}`, 'error');
                    status.textContent = 'The reply failed.';
                }
            }
            if (!ended) {
                note('The connection ended before the reply was complete.', 'error');
                status.textContent = 'The reply was cut off.';
            }
        } catch (error) {
            if (error.name === 'AbortError') {
                note('stopped', 'flag');
                status.textContent = 'Stopped.';
            } else {
                note(`The reply failed: ${error.message}`, 'error');
                status.textContent = 'The reply failed.';
            }
        } finally {
            body.setAttribute('aria-busy', 'false');
            reply.classList.remove('turn-streaming');
            set_streaming(null);
        }
        await load_list().catch(() => {});
    }

    // What the companion recalled for this reply, folded away under it.
    function recalled_element(recalled) {
        return h('details', {class: 'recalled'},
                 h('summary', {text: `Recalled ${recalled.length} ${recalled.length === 1 ? 'memory' : 'memories'}`}),
                 h('ul', {}, recalled.map((memory) => h('li', {text: String(memory.text ?? '')}))));
    }

    function set_panel_open(open) {
        toggle.setAttribute('aria-expanded', String(open));
        panel.classList.toggle('open', open);
    }

    composer.addEventListener('submit', (event) => {
        event.preventDefault();
        const text = message_box.value.trim();
        if (!text || streaming) return;
        message_box.value = '';
        send(text).catch((error) => {
            status.textContent = `The reply failed: ${error.message}`;
        });
    });
    message_box.addEventListener('keydown', (event) => {
        // Enter sends and Shift+Enter starts a new line, as in most chat programs; an IME
        // composing a character uses Enter for itself.
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            composer.requestSubmit();
        }
    });
    stop_button.addEventListener('click', () => streaming?.controller.abort());
    new_button.addEventListener('click', () => {
        new_conversation().catch((error) => {
            status.textContent = `Could not start a conversation: ${error.message}`;
        });
    });
    toggle.addEventListener('click', () => set_panel_open(toggle.getAttribute('aria-expanded') !== 'true'));

    return {
        // params[0]: the conversation to show, from the address.
        async show(params = []) {
            const [mood, persona] = await Promise.all([
                request('/api/mood').catch(() => null),
                request('/api/persona').catch(() => null),
                load_list(),
            ]);
            if (persona && typeof persona.name === 'string' && persona.name.trim()) companion_name = persona.name.trim();
            if (mood) {
                show_mood(mood);
                show_relationship(mood.relationship);
                const report = typeof mood.report === 'string' ? mood.report.trim() : '';
                byId('mood-report').hidden = !report;
                byId('mood-report-text').textContent = report;
            }
            if (streaming) return;
            // Ids are numbers in the API; the address holds them as text.
            if (params[0] !== undefined) current = /^\d+$/.test(params[0]) ? Number(params[0]) : params[0];
            if (current === null && conversations.length > 0) current = conversations[0].id;
            if (current === null) return;
            try {
                await open_conversation(current);
            } catch (error) {
                if (!(error instanceof ApiError && error.status === 404)) throw error;
                show_in_address(null);  // forgotten since it was listed
                transcript.replaceChildren();
                render_list();
            }
        },
        // Called when the session ends, so that nothing of this user stays on the page.
        reset() {
            streaming?.controller.abort();
            voice.reset();
            conversations = [];
            current = null;
            companion_name = 'os1';
            mood_visual.clear();
            byId('mood-label').textContent = '';
            byId('relationship-stage').textContent = 'not known yet';
            byId('mood-report').hidden = true;
            byId('mood-report-text').textContent = '';
            set_panel_open(false);
            transcript.replaceChildren();
            list.replaceChildren();
            status.textContent = '';
        },
    };
}
