// Talking by voice in the web app: Chromium's fake microphone plays real speech (flite's slt,
// made at test time and padded with silence by sox) into the page, which streams it to the
// server over the voice WebSocket; the companion's voice streams back and is played. Waits
// are on the page's state and counters (data attributes of #voice) and on the socket's own
// events, never on the clock.
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import crypto from 'node:crypto';
import {mkdtemp, rm, stat} from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {promisify} from 'node:util';

import {Fixture, assert_clean, fake_microphone, log_in, page_fetch, screenshot} from './harness.mjs';

const run = promisify(execFile);

const dana = {name: 'dana', password: 'dana has a password'};
const erin = {name: 'erin', password: 'erin has another one'};
const rate = 16000;
const lead_seconds = 1;
const tail_seconds = 4;

let folder = null;
let wav = null;
let wav_samples = 0;
let fixture = null;

// 1 s of silence, "hello there how are you today" in flite's slt, 4 s of silence: 16 kHz mono.
async function make_speech(dir) {
    const spoken = path.join(dir, 'spoken.wav');
    const padded = path.join(dir, 'speech.wav');
    await run('flite', ['-voice', 'slt', '-t', 'hello there how are you today', '-o', spoken]);
    await run('sox', [spoken, '-r', String(rate), '-c', '1', '-b', '16', padded, 'pad', String(lead_seconds),
                      String(tail_seconds)]);
    const {size} = await stat(padded);
    return {file: padded, samples: Math.floor((size - 44) / 2)};
}

before(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'os1-e2e-voice-'));
    ({file: wav, samples: wav_samples} = await make_speech(folder));
    // Short replies: random weights say nothing in particular, and every word is spoken aloud.
    fixture = new Fixture([dana, erin], {browser_args: fake_microphone(wav), server: {max_tokens: 24}});
    await fixture.setup();
});
after(async () => {
    await fixture?.teardown();
    if (folder) await rm(folder, {recursive: true, force: true});
});

// A signed-in page that may use the microphone, and the JSON events of its voice sockets.
async function voice_page(user) {
    const page = await fixture.page({permissions: ['microphone']});
    page.voice_events = [];
    page.heard_reports = [];  // the positions the page reported having heard
    page.on('websocket', (socket) => {
        socket.on('framesent', ({payload}) => {
            if (typeof payload !== 'string') return;
            const report = JSON.parse(payload);
            if (report.type === 'heard') page.heard_reports.push(report.position);
        });
        socket.on('framereceived', ({payload}) => {
            if (typeof payload !== 'string') return;
            try {
                page.voice_events.push(JSON.parse(payload));
            } catch {
                // not an event
            }
        });
    });
    await log_in(page, user.name, user.password);
    await page.locator('#view-chat[aria-busy="false"]').waitFor();
    return page;
}

const counter = (page, name) => page.locator('#voice').evaluate((element, key) => Number(element.dataset[key] ?? 0), name);

function wait_for_counter(page, name, at_least) {
    return page.waitForFunction(([key, value]) => Number(document.getElementById('voice').dataset[key] ?? 0) >= value,
                                [name, at_least]);
}

async function start_voice(page, {hands_free}) {
    if (hands_free) await page.getByLabel('Hands-free').check();
    await page.getByRole('button', {name: 'Start voice'}).click();
    await page.locator('#voice[data-state="listening"]').waitFor();
}

function conversation_id(page) {
    const match = /#\/chat\/(\d+)/.exec(page.url());
    assert.ok(match, `the address names no conversation: ${page.url()}`);
    return match[1];
}

async function stored_turns(page) {
    const answer = await page_fetch(page, `/api/conversations/${conversation_id(page)}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.turns;
}

// Waits until the conversation shown holds `count` turns or more, the last the companion's.
function wait_for_stored(page, count) {
    return page.waitForFunction(async ([id, least]) => {
        const answer = await fetch(`/api/conversations/${id}`).then((response) => response.json());
        return answer.turns.length >= least && answer.turns[answer.turns.length - 1].role === 'assistant';
    }, [conversation_id(page), count], {polling: 100});
}

const words = (text) => text.trim().split(/\s+/).filter(Boolean);

test('hands-free: speech is heard, answered aloud and stored', async () => {
    const page = await voice_page(dana);
    await start_voice(page, {hands_free: true});
    assert.equal(await page.getByRole('button', {name: 'Hold to talk'}).count(), 0, 'hands-free hides Hold to talk');

    const heard = page.locator('#transcript .turn-user.turn-voice .turn-body');
    await heard.waitFor();
    const transcript = (await heard.textContent()).trim();
    assert.ok(transcript.length > 0, 'an empty transcript');
    assert.match(transcript, /hello|there|how|are|you|today/i, `nothing like the speech was heard: "${transcript}"`);

    await page.locator('#transcript .turn-assistant.turn-voice:not(.turn-streaming)').waitFor();
    const turn = page.voice_events.find((event) => event.type === 'turn');
    assert.ok(turn, `no turn event among ${JSON.stringify(page.voice_events.map((event) => event.type))}`);
    assert.equal(turn.transcript.trim(), transcript);
    assert.equal(turn.interrupted, false);
    assert.ok(page.voice_events.some((event) => event.type === 'state' && event.state === 'speaking'));
    // The reply's audio came back, and the page played it.
    assert.ok(await counter(page, 'voiced') > 0, 'no voice came back');
    await wait_for_counter(page, 'played', 1);
    // It told the server how far it had heard: never back, and never ahead of what it was sent.
    const reports = page.heard_reports;
    assert.ok(reports.length > 0, 'no heard reports');
    assert.ok(reports.every((position, i) => i === 0 || position >= reports[i - 1]), 'a report moved back');
    assert.ok(reports.at(-1) <= await counter(page, 'received'), 'a report ahead of the audio received');
    assert.ok(reports.at(-1) > 0, 'nothing was heard');

    const turns = await stored_turns(page);
    assert.ok(turns.length >= 2, JSON.stringify(turns));
    const [user, reply] = turns.slice(-2);
    assert.equal(user.role, 'user');
    assert.equal(user.text.trim(), transcript);
    assert.equal(reply.role, 'assistant');
    assert.deepEqual(words(reply.text), words(turn.spoken));
    assert.equal(reply.interrupted, false);
    await screenshot(page, 'voice-hands-free');
    await page.getByRole('button', {name: 'End voice'}).click();
    await page.locator('#voice[data-state="off"]').waitFor();
    assert_clean(page);
    await page.context().close();
});

test('push-to-talk: speech while the button is held makes a turn', async () => {
    const page = await voice_page(erin);
    await start_voice(page, {hands_free: false});
    const talk = page.getByRole('button', {name: 'Hold to talk'});
    await talk.hover();
    await page.mouse.down();
    assert.equal(await talk.getAttribute('aria-pressed'), 'true');
    // Pressed before the speech starts, released after it ends: the microphone's own clock says when.
    assert.ok(await counter(page, 'sent') < lead_seconds * rate, 'the button was pressed after the speech began');
    await wait_for_counter(page, 'sent', wav_samples - (tail_seconds - 0.5) * rate);
    await page.mouse.up();
    assert.equal(await talk.getAttribute('aria-pressed'), 'false');

    const heard = page.locator('#transcript .turn-user.turn-voice .turn-body');
    await heard.waitFor();
    assert.ok((await heard.textContent()).trim().length > 0);
    await page.locator('#transcript .turn-assistant.turn-voice:not(.turn-streaming)').waitFor();
    assert.ok(page.voice_events.some((event) => event.type === 'turn'));
    await screenshot(page, 'voice-push-to-talk');
    await page.getByRole('button', {name: 'End voice'}).click();
    assert_clean(page);
    await page.context().close();
});

test('push-to-talk: nothing is heard while the button is up', async () => {
    const page = await voice_page(erin);
    await start_voice(page, {hands_free: false});
    // The whole recording and a second more has gone by, and the server has heard all of it.
    await wait_for_counter(page, 'sent', wav_samples + rate);
    await wait_for_counter(page, 'received', wav_samples + rate);
    assert.equal(await page.locator('#transcript .turn-voice').count(), 0);
    assert.ok(!page.voice_events.some((event) => event.type === 'transcript' || event.type === 'turn'),
              JSON.stringify(page.voice_events));
    assert.equal(await page.locator('#voice').getAttribute('data-state'), 'listening');
    await page.getByRole('button', {name: 'End voice'}).click();
    await page.context().close();
});

test('ending the session mid-reply stores only what was spoken, marked interrupted', async (t) => {
    const page = await voice_page(dana);
    const before = /#\/chat\/\d+/.test(page.url()) ? (await stored_turns(page)).length : 0;
    await start_voice(page, {hands_free: true});
    await page.locator('#voice[data-state="speaking"]').waitFor();
    await wait_for_counter(page, 'voiced', rate / 2);
    if (page.voice_events.some((event) => event.type === 'turn')) {
        t.skip('the reply was spoken to its end before it could be cut');
        await page.context().close();
        return;
    }
    await page.getByRole('button', {name: 'End voice'}).click();
    await page.locator('#voice[data-state="off"]').waitFor();
    // The server stores the cut reply as the session ends.
    await wait_for_stored(page, before + 2);
    const reply = (await stored_turns(page)).at(-1);
    assert.equal(reply.interrupted, true);
    const generated = page.voice_events.filter((event) => event.type === 'reply').map((event) => event.text).join('');
    const spoken = words(reply.text);
    assert.deepEqual(spoken, words(generated).slice(0, spoken.length),
                     `the stored reply "${reply.text}" is not how the generated "${generated}" began`);
    await screenshot(page, 'voice-interrupted');
    await page.context().close();
});

// Raw upgrade requests, as another site's page or a client without credentials would send them.
function upgrade(url, headers = {}) {
    return new Promise((resolve, reject) => {
        const request = http.request(`${url}/api/voice`, {
            headers: {
                Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
                'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'), ...headers,
            },
        });
        request.on('upgrade', (response, socket) => {
            socket.destroy();
            resolve(response.statusCode);
        });
        request.on('response', (response) => {
            response.resume();
            resolve(response.statusCode);
        });
        request.on('error', reject);
        request.end();
    });
}

test('the voice socket is refused without sign-in, from another site, and twice for one user', async () => {
    const url = fixture.server.url;
    const host = new URL(url).host;
    assert.equal(await upgrade(url, {Origin: url}), 401);

    const page = await voice_page(dana);
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    assert.equal(await upgrade(url, {Cookie: cookie, Origin: 'http://evil.example'}), 403);
    assert.equal(await upgrade(url, {Cookie: cookie, Origin: `http://evil.example.${host}`}), 403);
    assert.equal(await upgrade(url, {Cookie: cookie}), 403);
    // A plain GET is no socket.
    assert.equal((await page_fetch(page, '/api/voice')).status, 426);

    // From the page itself: the first socket is served, a second one at once is told why not.
    const outcome = await page.evaluate(async () => {
        const open = () => new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}/api/voice`);
            const messages = [];
            socket.onmessage = (event) => {
                if (typeof event.data !== 'string') return;
                const message = JSON.parse(event.data);
                messages.push(message);
                if (message.type === 'ready') resolve({socket, messages});
            };
            socket.onclose = (event) => resolve({socket, messages, code: event.code});
        });
        const first = await open();
        const second = await open();
        first.socket.close();
        return {first: first.messages, second: second.messages, code: second.code};
    });
    assert.equal(outcome.first[0]?.type, 'ready', JSON.stringify(outcome));
    assert.equal(outcome.code, 1013, JSON.stringify(outcome));
    assert.equal(outcome.second[0]?.type, 'error');
    assert.match(outcome.second[0].message, /already talking by voice/);
    await page.context().close();
});
