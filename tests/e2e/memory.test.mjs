// The memory browser: remembering by hand, searching, opening a memory with the turns it came
// from, editing it, and forgetting it for good.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {Fixture, assert_clean, log_in, page_fetch, screenshot, send_message} from './harness.mjs';

const bob = {name: 'bob', password: 'a long enough password'};
const fixture = new Fixture([bob]);

before(() => fixture.setup());
after(() => fixture.teardown());

// Searches through the form; the list is busy from the click until the answer is shown.
async function search(page, query) {
    await page.getByLabel('Search memories').fill(query);
    await page.getByRole('button', {name: 'Search', exact: true}).click();
    await page.locator('#memory-list[aria-busy="false"]').waitFor({state: 'attached'});
    assert.match(await page.locator('#memory-results-title').textContent(), new RegExp(query));
}

test('a memory is remembered, found, opened, edited and forgotten', async () => {
    const page = await fixture.page();
    await log_in(page, bob.name, bob.password);
    await page.getByRole('link', {name: 'Memory'}).click();
    await page.locator('#view-memory').waitFor();

    await page.getByLabel('Remember something new').fill('My sister Quillana keeps bees on her rooftop.');
    await page.getByRole('button', {name: 'Remember', exact: true}).click();
    // Remembering opens the new memory.
    const detail = page.locator('#memory-detail');
    await detail.locator('#memory-detail-text').filter({hasText: 'Quillana keeps bees'}).waitFor();
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    assert.ok(id, `the page shows the memory at #/memory/ID: ${page.url()}`);
    assert.ok(await detail.getByRole('heading', {name: 'Why do you remember this?'}).isVisible());

    await page.goto('/#/memory');
    await search(page, 'Quillana');
    const hit = page.locator('#memory-list a').filter({hasText: 'Quillana keeps bees'});
    assert.equal(await hit.count(), 1);
    await hit.click();
    await detail.locator('#memory-detail-text').filter({hasText: 'Quillana keeps bees'}).waitFor();
    await screenshot(page, 'memory-opened');

    await detail.getByRole('button', {name: 'Edit'}).click();
    await page.getByLabel('Memory text').fill('My sister Quillana keeps goats on her rooftop.');
    await detail.getByRole('button', {name: 'Save'}).click();
    await detail.locator('#memory-detail-text').filter({hasText: 'keeps goats'}).waitFor();
    const stored = await page_fetch(page, `/api/memory/${encodeURIComponent(id)}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.text, 'My sister Quillana keeps goats on her rooftop.');

    // Forgetting asks first; cancelling keeps the memory.
    await detail.getByRole('button', {name: 'Forget'}).click();
    const dialog = page.getByRole('dialog', {name: 'Forget this memory?'});
    await dialog.waitFor();
    await screenshot(page, 'memory-forget-confirm');
    await dialog.getByRole('button', {name: 'Cancel'}).click();
    await dialog.waitFor({state: 'hidden'});
    assert.equal((await page_fetch(page, `/api/memory/${encodeURIComponent(id)}`)).status, 200);

    await detail.getByRole('button', {name: 'Forget'}).click();
    await dialog.getByRole('button', {name: 'Forget'}).click();
    await page.locator('#memory-status').filter({hasText: 'Forgotten.'}).waitFor();
    assert.ok(await detail.isHidden());
    assert.equal((await page_fetch(page, `/api/memory/${encodeURIComponent(id)}`)).status, 404);
    await search(page, 'Quillana');
    assert.equal(await page.locator('#memory-list a').filter({hasText: 'Quillana'}).count(), 0);
    // Its old address now says it is gone.
    await page.goto(`/#/memory/${encodeURIComponent(id)}`);
    await page.getByRole('heading', {name: 'Memory not found'}).waitFor();
    assert_clean(page);
    await page.context().close();
});

test('a memory from the chat says which turn it came from', async () => {
    const page = await fixture.page();
    await log_in(page, bob.name, bob.password);
    assert.equal(await send_message(page, 'My favourite instrument is the theremin, Zorblat taught me.'), 'Reply complete.');
    await page.getByRole('link', {name: 'Memory'}).click();
    await search(page, 'theremin');
    await page.locator('#memory-list a').filter({hasText: 'theremin'}).first().click();
    const provenance = page.locator('#memory-provenance li');
    await provenance.filter({hasText: 'Zorblat taught me'}).first().waitFor();
    assert.ok(await provenance.filter({hasText: 'You said'}).count() >= 1);
    await screenshot(page, 'memory-provenance');
    assert_clean(page);
    await page.context().close();
});
