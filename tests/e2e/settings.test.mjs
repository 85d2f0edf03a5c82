// Settings: an access token shown once with a working Copy button, listed and revoked; and a
// password change that the next login needs.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {Fixture, assert_clean, log_in, open_view, page_fetch, screenshot} from './harness.mjs';

const grace = {name: 'grace', password: 'grace keeps tokens'};
// Changing a password takes five sign-in attempts, as many as the server allows a user at once.
const heidi = {name: 'heidi', password: 'the first password'};
const fixture = new Fixture([grace, heidi]);

before(() => fixture.setup());
after(() => fixture.teardown());

test('a token is shown once, copies to the clipboard, is listed, and is revoked after asking', async () => {
    const page = await fixture.page();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await log_in(page, grace.name, grace.password);
    await open_view(page, 'settings');

    await page.getByLabel('Label for a new token').fill('backup script');
    await page.getByRole('button', {name: 'Create token'}).click();
    const shown = page.getByLabel('New token', {exact: true});
    await shown.waitFor();
    const token = await shown.inputValue();
    assert.ok(token.length >= 16, `a token of ${token.length} characters`);
    // Focus waits on the Copy button, which puts the token on the clipboard.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'token-copy');
    await page.getByRole('button', {name: 'Copy'}).click();
    await page.locator('#token-status').filter({hasText: 'Copied.'}).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    const row = page.locator('#token-rows tr').filter({hasText: 'backup script'});
    await row.waitFor();
    assert.ok((await row.textContent()).includes('Never'), 'a new token was never used');
    await screenshot(page, 'settings-token-created');

    // Leaving the view hides the token for good; the list never shows it.
    await open_view(page, 'chat');
    await open_view(page, 'settings');
    assert.ok(await page.locator('#token-created').isHidden());
    assert.ok(!(await page.locator('#token-rows').textContent()).includes(token));
    const listed = await page_fetch(page, '/api/tokens');
    assert.ok(!JSON.stringify(listed.body).includes(token), 'the API does not list the token itself');

    await row.getByRole('button', {name: 'Revoke token backup script'}).click();
    const dialog = page.getByRole('dialog', {name: 'Revoke this token?'});
    await dialog.getByRole('button', {name: 'Revoke'}).click();
    await page.locator('#token-status').filter({hasText: 'Revoked'}).waitFor();
    await row.waitFor({state: 'detached'});
    assert.deepEqual((await page_fetch(page, '/api/tokens')).body.tokens, []);
    assert_clean(page);
    await page.context().close();
});

test('a changed password is the one the next login needs', async () => {
    const page = await fixture.page();
    await log_in(page, heidi.name, heidi.password);
    await open_view(page, 'settings');

    // A mismatch is caught before anything is sent; a wrong current password by the server,
    // without ending the session.
    await page.getByLabel('Current password').fill(heidi.password);
    await page.getByLabel('New password', {exact: true}).fill('the second password');
    await page.getByLabel('New password again').fill('not the same');
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.locator('#password-status').filter({hasText: 'The two new passwords differ.'}).waitFor();
    await page.getByLabel('Current password').fill('a wrong password');
    await page.getByLabel('New password again').fill('the second password');
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.locator('#password-status').filter({hasText: 'Could not change the password'}).waitFor();
    assert.ok(await page.locator('#app-header').isVisible(), 'still logged in');

    await page.getByLabel('Current password').fill(heidi.password);
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.locator('#password-status').filter({hasText: 'Password changed.'}).waitFor();
    await page.getByRole('button', {name: 'Log out'}).click();
    await page.locator('#login-form').waitFor({state: 'visible'});

    await page.getByLabel('User name').fill(heidi.name);
    await page.getByLabel('Password', {exact: true}).fill(heidi.password);
    await page.getByRole('button', {name: 'Log in'}).click();
    await page.getByRole('alert').filter({hasText: 'Wrong user name or password'}).waitFor();
    await log_in(page, heidi.name, 'the second password');
    assert.equal((await page_fetch(page, '/api/me')).body.user, heidi.name);
    assert_clean(page);
    await page.context().close();
});
