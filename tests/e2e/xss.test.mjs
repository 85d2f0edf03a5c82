// Markup stored in a memory, in the persona's fields and sent as a chat message is shown as
// text, never run. The page is opened with its Content-Security-Policy turned off: the policy
// would block inline handlers anyway, and these tests must show that the page itself never
// turns data into markup.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {Fixture, log_in, open_view, page_fetch, screenshot, send_message} from './harness.mjs';

const mallory = {name: 'mallory', password: 'mallory tries things'};
const fixture = new Fixture([mallory]);

before(() => fixture.setup());
after(() => fixture.teardown());

const payloads = [
    '<img src=x onerror=window.__xss=1>',
    '<script>window.__xss=1</script>',
    '[click](javascript:window.__xss=1)',
];

// Nothing ran, and no element that a payload could have made exists.
async function assert_inert(page, where) {
    const found = await page.evaluate(() => ({
        xss: window.__xss,
        images: document.querySelectorAll('img').length,
        inline_scripts: [...document.scripts].filter((s) => !s.src || s.textContent.includes('__xss')).length,
        javascript_links: [...document.querySelectorAll('a[href]')].filter((a) => !/^(https?:|mailto:|#|\/)/.test(a.getAttribute('href'))).length,
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    }));
    assert.deepEqual(found, {xss: undefined, images: 0, inline_scripts: 0, javascript_links: 0, handlers: 0}, where);
}

async function assert_shown_as_text(page, locator, where) {
    const text = await page.locator(locator).innerText();
    for (const payload of payloads) assert.ok(text.includes(payload), `${where}: "${payload}" not shown as text in ${text}`);
}

test('markup in memories is shown as text', async () => {
    const page = await fixture.page({bypass_csp: true});
    await log_in(page, mallory.name, mallory.password);
    await page.getByRole('link', {name: 'Memory'}).click();
    for (const payload of payloads) {
        await page.getByLabel('Remember something new').fill(payload);
        await page.getByRole('button', {name: 'Remember', exact: true}).click();
        await page.locator('#memory-detail-text').filter({hasText: payload}).waitFor();
        await assert_inert(page, `memory detail of ${payload}`);
    }
    await open_view(page, 'memory');
    await assert_shown_as_text(page, '#memory-list', 'recent memories');
    await page.getByLabel('Search memories').fill('xss');
    await page.getByRole('button', {name: 'Search', exact: true}).click();
    await page.locator('#memory-list[aria-busy="false"]').waitFor({state: 'attached'});
    await assert_inert(page, 'memory search');
    await screenshot(page, 'xss-memories');
    await page.context().close();
});

test('markup in persona fields is shown as text', async () => {
    const page = await fixture.page({bypass_csp: true});
    await log_in(page, mallory.name, mallory.password);
    await open_view(page, 'persona');
    const card = {
        spec: 'chara_card_v2',
        spec_version: '2.0',
        data: {
            name: `Mallory ${payloads[0]}`,
            description: payloads.join('\n'),
            personality: payloads[2],
            scenario: payloads[1],
            first_mes: payloads.join(' '),
            mes_example: '', creator_notes: '', system_prompt: '', post_history_instructions: '',
            alternate_greetings: [], tags: [], creator: '', character_version: '', extensions: {},
        },
    };
    await page.getByLabel(/Character card/).setInputFiles({
        name: 'mallory.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(card)),
    });
    await page.getByRole('button', {name: 'Import', exact: true}).click();
    await page.locator('#persona-status').filter({hasText: 'Imported mallory.json.'}).waitFor();
    await page.locator('#persona-name').filter({hasText: payloads[0]}).waitFor();
    await assert_shown_as_text(page, '#persona-fields', 'persona');
    await assert_inert(page, 'persona view');
    // The name also labels the companion's turns in the chat.
    await open_view(page, 'chat');
    await assert_inert(page, 'chat with that persona');
    await screenshot(page, 'xss-persona');
    await page.context().close();
});

test('markup sent as a chat message is shown as text, in the chat and everywhere it lands', async () => {
    const page = await fixture.page({bypass_csp: true});
    await log_in(page, mallory.name, mallory.password);
    assert.equal(await send_message(page, payloads.join('\n')), 'Reply complete.');
    await assert_shown_as_text(page, '#transcript .turn-user', 'chat message');
    await assert_inert(page, 'chat');
    // The words stay inert where nothing links: clicking them does nothing.
    await page.locator('#transcript .turn-user').getByText('[click](javascript:window.__xss=1)').click();
    await assert_inert(page, 'after clicking the link text');
    // The message is also a conversation (and maybe its title), a memory, and a journal day.
    await page.reload();
    await page.locator('#transcript .turn-user').first().waitFor();
    await assert_inert(page, 'chat after reload');
    for (const view of ['memory', 'journal', 'settings', 'persona']) {
        await open_view(page, view);
        await assert_inert(page, `${view} view`);
    }
    await screenshot(page, 'xss-chat');
    await page.context().close();
});

test('the renderer in Chromium turns payloads into text nodes only', async () => {
    const page = await fixture.page({bypass_csp: true});
    await page.goto('/');
    const result = await page.evaluate(async (inputs) => {
        const {render_markdown} = await import('/js/markdown.js');
        const holder = document.createElement('div');
        holder.id = 'rendered';
        for (const input of inputs) holder.append(render_markdown(input));
        document.body.append(holder);
        return {
            text: holder.textContent,
            tags: [...new Set([...holder.querySelectorAll('*')].map((e) => e.localName))].sort(),
        };
    }, [...payloads, '**<b>bold</b>**', '```\n<svg onload=window.__xss=1>\n```', '[ok](https://example.com)']);
    for (const payload of payloads) assert.ok(result.text.includes(payload));
    assert.deepEqual(result.tags, ['a', 'code', 'p', 'pre', 'strong']);
    await assert_inert(page, 'rendered payloads');
    const links = await page.evaluate(() => [...document.querySelectorAll('#rendered a')].map((a) => a.href));
    assert.deepEqual(links, ['https://example.com/']);
    await page.context().close();
});

test('the stored payloads come back unchanged from the API', async () => {
    // The server keeps what it was given; turning it into text is the page's job.
    const page = await fixture.page();
    await log_in(page, mallory.name, mallory.password);
    const memories = (await page_fetch(page, '/api/memory?limit=100')).body.memories.map((m) => m.text);
    for (const payload of payloads) assert.ok(memories.includes(payload), `${payload} in ${JSON.stringify(memories)}`);
    await page.context().close();
});
