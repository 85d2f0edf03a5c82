// axe-core on the login, chat, memory, persona, journal and settings views, on a desktop and a
// phone-sized (390x844) screen and in the dark colour scheme; the phone layout without sideways
// scrolling; and keyboard focus that follows the form and stays visible.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {Fixture, assert_accessible, desktop, log_in, open_view, phone, screenshot, send_message} from './harness.mjs';

// A user per screen: each logs in a few times at most, within the server's sign-in rate limit.
const users = {
    desktop: {name: 'ada', password: 'ada reads with a screen reader'},
    phone: {name: 'ben', password: 'ben reads on a small phone'},
    dark: {name: 'cai', password: 'cai prefers the dark'},
    keyboard: {name: 'dee', password: 'dee uses only the keyboard'},
};
const fixture = new Fixture(Object.values(users));

before(() => fixture.setup());
after(() => fixture.teardown());

async function assert_no_sideways_scroll(page, label) {
    const widths = await page.evaluate(() => ({page: document.documentElement.scrollWidth, window: window.innerWidth}));
    assert.ok(widths.page <= widths.window, `${label}: the page is ${widths.page}px wide in a ${widths.window}px window`);
}

// Every view with something in it: a conversation, an opened memory, a token just created.
async function check_all_views(page, label) {
    const user = users[label];
    await page.goto('/');
    await page.locator('#login-form').waitFor();
    await assert_accessible(page, `login (${label})`);
    await screenshot(page, `a11y-login-${label}`);

    await log_in(page, user.name, user.password);
    await page.locator('#view-chat[aria-busy="false"]').waitFor();
    assert.equal(await send_message(page, `Hello from a ${label} screen.`), 'Reply complete.');
    await assert_accessible(page, `chat (${label})`);
    await screenshot(page, `a11y-chat-${label}`);
    await assert_no_sideways_scroll(page, `chat (${label})`);

    await open_view(page, 'memory');
    await page.getByLabel('Remember something new').fill(`${user.name} uses a ${label} screen.`);
    await page.getByRole('button', {name: 'Remember', exact: true}).click();
    await page.locator('#memory-detail-text').filter({hasText: `${label} screen`}).waitFor();
    await assert_accessible(page, `memory (${label})`);
    await screenshot(page, `a11y-memory-${label}`);
    await assert_no_sideways_scroll(page, `memory (${label})`);

    for (const view of ['persona', 'journal']) {
        await open_view(page, view);
        await assert_accessible(page, `${view} (${label})`);
        await assert_no_sideways_scroll(page, `${view} (${label})`);
    }

    await open_view(page, 'settings');
    await page.getByLabel('Label for a new token').fill(`${label} script`);
    await page.getByRole('button', {name: 'Create token'}).click();
    await page.locator('#token-created').waitFor();
    await assert_accessible(page, `settings (${label})`);
    await screenshot(page, `a11y-settings-${label}`);
    await assert_no_sideways_scroll(page, `settings (${label})`);
}

test('no serious accessibility problems on a desktop screen', async () => {
    const page = await fixture.page({viewport: desktop, bypass_csp: true});
    await check_all_views(page, 'desktop');
    await page.context().close();
});

test('no serious accessibility problems on a phone screen', async () => {
    const page = await fixture.page({viewport: phone, bypass_csp: true});
    await check_all_views(page, 'phone');
    await page.context().close();
});

test('no serious accessibility problems in the dark colour scheme', async () => {
    const page = await fixture.page({viewport: desktop, bypass_csp: true, color_scheme: 'dark'});
    await check_all_views(page, 'dark');
    await page.context().close();
});

test('on a phone the conversation list opens from its button', async () => {
    const page = await fixture.page({viewport: phone});
    await log_in(page, users.phone.name, users.phone.password);
    await page.locator('#view-chat[aria-busy="false"]').waitFor();
    const toggle = page.getByRole('button', {name: 'Conversations'});
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.ok(await page.locator('#conversation-panel').isHidden());
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.locator('#conversation-list li').first().waitFor();
    await screenshot(page, 'phone-conversations-open');
    // Choosing a conversation closes the list again, showing its messages.
    await page.locator('#conversation-list li button').first().click();
    await page.locator('#conversation-panel').waitFor({state: 'hidden'});
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await page.context().close();
});

test('the keyboard moves through the login form in order, with visible focus', async () => {
    const page = await fixture.page();
    await page.goto('/');
    await page.locator('#login-user').waitFor();
    // The form takes focus itself; Shift+Tab reaches the skip link before it.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'login-user');
    const order = [];
    for (let i = 0; i < 2; ++i) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => ({
            id: document.activeElement.id,
            outline: getComputedStyle(document.activeElement).outlineStyle,
        })));
    }
    assert.deepEqual(order, [{id: 'login-password', outline: 'solid'}, {id: 'login-submit', outline: 'solid'}]);

    await page.locator('#login-user').fill(users.keyboard.name);
    await page.locator('#login-password').fill(users.keyboard.password);
    await page.keyboard.press('Enter');
    await page.locator('#app-header').waitFor();
    // After logging in, focus is on the chat's heading, and Tab goes on to the page's controls.
    await page.locator('#view-chat[aria-busy="false"]').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'chat-title');
    await page.context().close();
});
