// Logging in, a reply that streams into the page, the mood shape that follows the chat,
// conversations, stopping a reply, and logging out. The model has random weights, so replies
// are gibberish: these tests check how text arrives, never what it says.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {Fixture, assert_clean, log_in, page_fetch, screenshot, send_message} from './harness.mjs';

const alice = {name: 'alice', password: 'correct horse battery staple'};
const fixture = new Fixture([alice]);

// One logged-in page for the chat tests, in order, as a person would use it; logging in once
// also stays within the server's sign-in rate limit.
let page;

before(async () => {
    await fixture.setup();
    page = await fixture.page();
    await log_in(page, alice.name, alice.password);
    await page.locator('#view-chat[aria-busy="false"]').waitFor();
});
after(() => fixture.teardown());

test('the server sends the page with its types and Content-Security-Policy', async () => {
    const page = await fixture.page();
    const response = await page.goto('/');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/html/);
    const policy = response.headers()['content-security-policy'] ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
        assert.ok(policy.includes(directive), `policy lacks ${directive}: ${policy}`);
    }
    const script = await page.request.get('/app.js');
    assert.match(script.headers()['content-type'], /javascript/);
    const style = await page.request.get('/style.css');
    assert.match(style.headers()['content-type'], /^text\/css/);
    const module = await page.request.get('/js/markdown.js');
    assert.match(module.headers()['content-type'], /javascript/);
    await page.locator('#login-form').waitFor();
    assert_clean(page);
    await page.context().close();
});

test('a wrong password is refused with a message, and no session', async () => {
    const page = await fixture.page();
    await page.goto('/');
    await page.getByLabel('User name').fill(alice.name);
    await page.getByLabel('Password', {exact: true}).fill('not the password');
    await page.getByRole('button', {name: 'Log in'}).click();
    await assert.doesNotReject(page.getByRole('alert').filter({hasText: 'Wrong user name or password'}).waitFor());
    assert.equal((await page_fetch(page, '/api/me')).status, 401);
    assert.ok(await page.locator('#app-header').isHidden());
    assert_clean(page);
    await page.context().close();
});

test('a reply streams into the page over several updates before it is done', async () => {
    // Record the reply's text at every change of its body, and the moment the reply is over
    // (aria-busy turns false), straight from the DOM's own mutation records.
    await page.evaluate(() => {
        window.__updates = [];
        window.__done_at = null;
        new MutationObserver((records) => {
            for (const record of records) {
                const target = record.target;
                if (!(target instanceof Element) || !target.matches('.turn-assistant .turn-body')) continue;
                if (record.type === 'attributes') {
                    if (target.getAttribute('aria-busy') === 'false' && window.__done_at === null) {
                        window.__done_at = window.__updates.length;
                    }
                } else {
                    const text = [...record.addedNodes].map((node) => node.textContent).join('');
                    window.__updates.push({text, busy: target.getAttribute('aria-busy')});
                }
            }
        }).observe(document.getElementById('transcript'),
                   {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy']});
    });

    const status = await send_message(page, 'Hello! Tell me about your day.');
    assert.equal(status, 'Reply complete.');
    const {updates, done_at} = await page.evaluate(() => ({updates: window.__updates, done_at: window.__done_at}));
    assert.ok(updates.length >= 3, `the reply arrived in ${updates.length} update(s)`);
    assert.equal(done_at, updates.length, 'every update came before the reply was done');
    assert.ok(updates.every((update) => update.busy === 'true'), 'the reply was marked busy while it streamed');
    for (let i = 1; i < updates.length; ++i) {
        assert.ok(updates[i].text.length >= updates[i - 1].text.length, `update ${i} shrank the reply`);
    }
    assert.ok(updates.at(-1).text.length > updates[0].text.length, 'the reply grew');

    // The reply is announced to screen readers, and the exchange is now a listed conversation.
    const reply = page.locator('#transcript .turn-assistant .turn-body').last();
    assert.equal(await reply.getAttribute('aria-live'), 'polite');
    await page.locator('#conversation-list li').first().waitFor();
    assert.equal(await page.locator('#conversation-list li').count(), 1);
    await screenshot(page, 'chat-streamed-reply');
    assert_clean(page);
});

// What the page shows of the mood: the shape's computed colour, pulse and size, and the
// custom properties behind them.
async function mood_look(page) {
    return page.evaluate(() => {
        const visual = document.getElementById('mood-visual');
        const blob = visual.querySelector('.mood-blob');
        const style = getComputedStyle(blob);
        return {
            background: style.backgroundImage,
            pulse: style.animationDuration,
            scale: getComputedStyle(visual).scale,
            hue: visual.style.getPropertyValue('--mood-hue'),
            label: visual.getAttribute('aria-label'),
        };
    });
}

test('the mood shape changes after a strongly emotional message', async () => {
    // The shape shows the server's mood once the chat has loaded it.
    await page.waitForFunction(() => document.getElementById('mood-visual').style.getPropertyValue('--mood-hue') !== '');
    // From its neutral start the shape eases into that mood; measure once the easing is over.
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition)));
    const before_message = await mood_look(page);
    await screenshot(page, 'mood-before');

    const status = await send_message(page, 'I am so incredibly happy, this is the best day of my life, I love it!!!');
    assert.equal(status, 'Reply complete.');
    // The colour eases to the new mood; wait for it to differ rather than for a time.
    await page.waitForFunction((before) => {
        const blob = document.querySelector('#mood-visual .mood-blob');
        return getComputedStyle(blob).backgroundImage !== before;
    }, before_message.background);
    const after_message = await mood_look(page);
    await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition)));
    await screenshot(page, 'mood-after');
    assert.notEqual(after_message.background, before_message.background);
    assert.ok(Number(after_message.hue) < Number(before_message.hue),
              `more pleasure moves the hue towards amber: ${before_message.hue} -> ${after_message.hue}`);
    const mood = await page_fetch(page, '/api/mood');
    assert.equal(mood.status, 200);
    assert.ok(mood.body.pleasure >= -1 && mood.body.pleasure <= 1);
    assert_clean(page);
});

test('a new conversation starts empty, and the earlier one can be opened again', async () => {
    const listed = await page_fetch(page, '/api/conversations');
    assert.equal(listed.body.conversations.length, 1);
    const first = listed.body.conversations[0].id;
    await page.getByRole('button', {name: 'New conversation'}).click();
    await page.locator('#chat-status').filter({hasText: 'New conversation started.'}).waitFor();
    assert.equal(await page.locator('#transcript li').count(), 0);
    assert.equal(await page.locator('#conversation-list li').count(), 2);

    await send_message(page, 'A message about zeppelins in the second conversation.');
    await page.locator('#transcript .turn-user').filter({hasText: 'zeppelins'}).waitFor();
    assert.equal((await page_fetch(page, '/api/conversations')).body.conversations.length, 2,
                 'the message went to the new conversation');
    // The first conversation still holds its own turns.
    await page.locator(`#conversation-list button[data-conversation-id="${first}"]`).click();
    await page.locator('#transcript .turn-user').filter({hasText: 'best day of my life'}).waitFor();
    assert.equal(await page.locator('#transcript .turn-user').filter({hasText: 'zeppelins'}).count(), 0);
    assert_clean(page);
});

test('Stop cancels a reply while it streams', async (t) => {
    await page.locator('#message').fill('Please write me a very long story about the sea.');
    await page.getByRole('button', {name: 'Send', exact: true}).click();
    const streaming = page.locator('#transcript .turn-streaming .turn-body');
    // Stop as soon as the first piece of the reply is on the page.
    await page.waitForFunction(() => {
        const body = document.querySelector('#transcript .turn-assistant:last-child .turn-body');
        return body && body.textContent.length > 0;
    });
    if ((await streaming.count()) === 0) {
        t.skip('the reply was complete before Stop could be pressed');
        return;
    }
    // The reply may end between that check and a click from here, which would then wait for a
    // hidden button. Pressed from inside the page, nothing changes between the look and the press.
    const pressed = await page.locator('#stop').evaluate((button) => {
        if (button.hidden)
            return false;
        button.click();
        return true;
    });
    if (!pressed) {
        t.skip('the reply was complete before Stop could be pressed');
        return;
    }
    await page.locator('#transcript .turn-streaming').waitFor({state: 'detached'});
    const status = await page.locator('#chat-status').textContent();
    const stopped = status !== 'Reply complete.';
    if (stopped) {
        assert.equal(status, 'Stopped.');
        await page.locator('#transcript .turn-assistant').last().locator('.turn-flag', {hasText: 'stopped'}).waitFor();
    } else {
        t.skip('the reply finished while Stop was being pressed');
    }
    assert.ok(await page.getByRole('button', {name: 'Send', exact: true}).isEnabled());
    assert.ok(await page.getByRole('button', {name: 'Stop'}).isHidden());
    // The chat goes on after a stop.
    assert.equal(await send_message(page, 'Thank you, that is enough.'), 'Reply complete.');
    if (stopped) {
        // The server kept what it had written, marked as interrupted, before the next turn, and
        // the page shows the mark when the conversation is opened again.
        const conversations = (await page_fetch(page, '/api/conversations')).body.conversations;
        const shown = await page.locator('#conversation-list button[aria-current="true"]').getAttribute('data-conversation-id');
        const turns = (await page_fetch(page, `/api/conversations/${shown}`)).body.turns;
        const asked = turns.findIndex((turn) => turn.text === 'Please write me a very long story about the sea.');
        assert.ok(asked >= 0 && conversations.some((c) => String(c.id) === shown));
        assert.equal(turns[asked + 1]?.role, 'assistant');
        assert.equal(turns[asked + 1]?.interrupted, true, JSON.stringify(turns[asked + 1]));
        await page.reload();
        await page.locator('#transcript .turn-assistant .turn-flag', {hasText: 'interrupted'}).first().waitFor();
    }
    assert_clean(page);
});

test('logging out ends the session and shows the login form, with nothing left of the chat', async () => {
    await page.locator('#transcript .turn-user').first().waitFor();
    await page.getByRole('button', {name: 'Log out'}).click();
    await page.locator('#login-form').waitFor({state: 'visible'});
    assert.ok(await page.locator('#app-header').isHidden());
    assert.equal((await page_fetch(page, '/api/me')).status, 401);
    assert.equal(await page.locator('#transcript li').count(), 0);
    assert.equal(await page.locator('#conversation-list li').count(), 0);
    // A reload does not bring the session back either.
    await page.reload();
    await page.locator('#login-form').waitFor({state: 'visible'});
    await screenshot(page, 'logged-out');
    assert_clean(page);
});
