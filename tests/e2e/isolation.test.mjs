// Two users of one server: after the first logs out, the second logs in on the same page and
// sees nothing of the first one's conversations or memories, neither on the page nor through
// the API.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {Fixture, assert_clean, log_in, page_fetch, screenshot, send_message} from './harness.mjs';

const dana = {name: 'dana', password: 'dana has a password'};
const erin = {name: 'erin', password: 'erin has another one'};
const fixture = new Fixture([dana, erin]);

before(() => fixture.setup());
after(() => fixture.teardown());

test("a second user sees none of the first user's data", async () => {
    const page = await fixture.page();
    await log_in(page, dana.name, dana.password);
    assert.equal(await send_message(page, 'I play the xylophone at the Marzipan Hall every Friday.'), 'Reply complete.');
    const created = await page_fetch(page, '/api/memory', {method: 'POST', json: {text: 'Dana hides the key under the periwinkle pot.'}});
    assert.ok([200, 201].includes(created.status), `POST /api/memory answered ${created.status}`);
    const memory_id = created.body.id;
    const conversations = await page_fetch(page, '/api/conversations');
    assert.equal(conversations.body.conversations.length, 1);
    const conversation_id = conversations.body.conversations[0].id;
    await page.getByRole('button', {name: 'Log out'}).click();
    await page.locator('#login-form').waitFor({state: 'visible'});

    await log_in(page, erin.name, erin.password);
    await page.locator('#conversations-empty').waitFor({state: 'visible'});
    assert.equal(await page.locator('#conversation-list li').count(), 0);
    assert.equal(await page.locator('#transcript li').count(), 0);
    for (const secret of ['Marzipan', 'periwinkle', 'xylophone']) {
        assert.ok(!(await page.content()).includes(secret), `the page still holds "${secret}"`);
    }

    // Through the page...
    await page.getByRole('link', {name: 'Memory'}).click();
    for (const query of ['periwinkle', 'Marzipan']) {
        await page.getByLabel('Search memories').fill(query);
        await page.getByRole('button', {name: 'Search', exact: true}).click();
        await page.locator('#memory-list[aria-busy="false"]').waitFor({state: 'attached'});
        assert.equal(await page.locator('#memory-list li').count(), 0, `erin finds "${query}"`);
    }
    await page.goto(`/#/memory/${encodeURIComponent(memory_id)}`);
    await page.getByRole('heading', {name: 'Memory not found'}).waitFor();
    await screenshot(page, 'isolation-second-user');

    // ...and through the API with erin's session.
    assert.deepEqual((await page_fetch(page, '/api/conversations')).body.conversations, []);
    assert.equal((await page_fetch(page, `/api/conversations/${encodeURIComponent(conversation_id)}`)).status, 404);
    assert.deepEqual((await page_fetch(page, '/api/memory/search?q=periwinkle')).body.hits, []);
    assert.deepEqual((await page_fetch(page, '/api/memory/search?q=Marzipan')).body.hits, []);
    assert.equal((await page_fetch(page, `/api/memory/${encodeURIComponent(memory_id)}`)).status, 404);
    assert.equal((await page_fetch(page, `/api/memory/${encodeURIComponent(memory_id)}`, {method: 'DELETE'})).status, 404);
    const listed = (await page_fetch(page, '/api/memory?limit=100')).body.memories;
    assert.ok(!listed.some((memory) => /periwinkle|Marzipan/i.test(memory.text)), JSON.stringify(listed));
    assert_clean(page);
    await page.context().close();

    // Dana's memory is still there for her.
    const again = await fixture.page();
    await log_in(again, dana.name, dana.password);
    assert.equal((await page_fetch(again, `/api/memory/${encodeURIComponent(memory_id)}`)).status, 200);
    await again.context().close();
});

test('changes without the CSRF token are refused', async () => {
    const page = await fixture.page();
    await log_in(page, erin.name, erin.password);
    const status = await page.evaluate(async () => {
        const response = await fetch('/api/memory', {
            method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({text: 'no token'}),
        });
        return response.status;
    });
    assert.equal(status, 403);
    await page.context().close();
});
