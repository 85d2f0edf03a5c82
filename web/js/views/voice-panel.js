// The chat's microphone: Start voice opens a spoken conversation (voice.js) in the conversation
// shown; Hold to talk (pointer, or Space while it has focus) speaks in push-to-talk, and
// Hands-free listens all the time. What is said and answered lands in the transcript as
// ordinary turns, through the chat view's hooks. The counters of audio sent, received and
// played are kept on #voice as data attributes, for whoever wants to watch them.
import {byId} from '../dom.js';
import {VoiceError, VoiceSession} from '../voice.js';

const state_words = {
    off: 'Voice is off.',
    starting: 'Starting voice…',
    listening: 'Listening.',
    thinking: 'Thinking…',
    speaking: 'Speaking.',
};

// hooks: conversation() (the id shown, or null), on_conversation(id), on_transcript(text),
// on_reply_piece(text), on_turn(turn), on_turn_failed(message), on_idle_changed(busy).
export function create_voice_panel(hooks) {
    const panel = byId('voice');
    const toggle = byId('voice-toggle');
    const talk = byId('voice-talk');
    const hands_free = byId('voice-hands-free');
    const state_line = byId('voice-state');
    const error_line = byId('voice-error');
    let session = null;

    function show_state(state) {
        panel.dataset.state = state;
        state_line.textContent = state_words[state] ?? '';
    }

    function show_counters(counters) {
        panel.dataset.sent = String(counters.sent);
        panel.dataset.received = String(counters.received);
        panel.dataset.voiced = String(counters.voiced);
        panel.dataset.played = String(counters.played);
    }

    function set_talking(talking) {
        if (talk.disabled && talking) return;
        talk.setAttribute('aria-pressed', String(talking));
        session?.set_talking(talking);
    }

    function show_controls() {
        const on = session !== null;
        toggle.textContent = on ? 'End voice' : 'Start voice';
        toggle.setAttribute('aria-pressed', String(on));
        talk.hidden = hands_free.checked;
        talk.disabled = !on || !session.ready || hands_free.checked;
        if (talk.disabled) set_talking(false);
        hooks.on_idle_changed(on);
    }

    function on_event(message) {
        switch (message.type) {
        case 'ready':
            if (Number.isInteger(message.conversation)) hooks.on_conversation(message.conversation);
            show_state('listening');
            show_controls();
            break;
        case 'state':
            if (Object.hasOwn(state_words, message.state)) show_state(message.state);
            break;
        case 'transcript':
            hooks.on_transcript(String(message.text ?? ''));
            break;
        case 'reply':
            hooks.on_reply_piece(String(message.text ?? ''));
            break;
        case 'turn':
            hooks.on_turn({
                transcript: String(message.transcript ?? ''),
                reply: String(message.reply ?? ''),
                spoken: String(message.spoken ?? ''),
                interrupted: Boolean(message.interrupted),
            });
            break;
        case 'error':
            if (session?.ready) hooks.on_turn_failed(String(message.message ?? 'unknown error'));
            break;
        default:
            break;  // a newer server's event
        }
    }

    async function start() {
        error_line.textContent = '';
        const started = new VoiceSession({
            conversation: hooks.conversation(),
            hands_free: hands_free.checked,
            on_event,
            on_counters: show_counters,
            on_end: (message) => {
                if (session !== started) return;
                session = null;
                show_state('off');
                show_controls();
                if (message) error_line.textContent = message;
            },
        });
        session = started;
        show_counters(started.counters);
        show_state('starting');
        show_controls();
        try {
            await started.start();
        } catch (error) {
            if (session === started) {
                started.stop();
                session = null;
                show_state('off');
                show_controls();
            }
            error_line.textContent = error instanceof VoiceError ? error.message :
                `The voice could not start: ${error.message}. Type instead, or try again.`;
        }
    }

    function stop() {
        const ending = session;
        session = null;
        ending?.stop();
        show_state('off');
        show_controls();
    }

    toggle.addEventListener('click', () => {
        if (session) stop();
        else start();
    });
    hands_free.addEventListener('change', () => {
        session?.set_hands_free(hands_free.checked);
        show_controls();
    });
    talk.addEventListener('pointerdown', (event) => {
        if (event.button !== 0) return;
        talk.setPointerCapture(event.pointerId);
        set_talking(true);
    });
    for (const name of ['pointerup', 'pointercancel', 'lostpointercapture']) {
        talk.addEventListener(name, () => set_talking(false));
    }
    talk.addEventListener('keydown', (event) => {
        if (event.key !== ' ' && event.key !== 'Enter') return;
        event.preventDefault();
        if (!event.repeat) set_talking(true);
    });
    talk.addEventListener('keyup', (event) => {
        if (event.key !== ' ' && event.key !== 'Enter') return;
        event.preventDefault();
        set_talking(false);
    });
    talk.addEventListener('blur', () => set_talking(false));

    show_state('off');
    show_controls();
    return {
        // Ends the session when the user logs out, so that nothing of theirs keeps listening.
        reset() {
            stop();
            error_line.textContent = '';
        },
        active: () => session !== null,
    };
}
