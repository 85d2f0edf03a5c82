// What every end-to-end test shares: a home folder of its own, users made with `os1 user add`,
// a real `os1 serve` on a port the system picks, Debian's Chromium driven by playwright-core,
// axe-core for accessibility, and screenshots kept as artifacts.
//
// Nothing here waits for a fixed time: the server is ready when it prints its address, it has
// stopped when its process has exited, and pages are awaited on the conditions the tests name.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(import.meta.url);

// Fails with the remedy when a dependency is missing, rather than with a stack trace.
function required(what, value, remedy) {
    if (!value) throw new Error(`e2e: ${what} is not set; ${remedy}`);
    return value;
}

export const os1_binary = () =>
    required('OS1_BINARY', process.env.OS1_BINARY, 'point it at the os1 binary (ctest -R e2e-web sets it)');
export const test_model = () =>
    required('OS1_TEST_MODEL', process.env.OS1_TEST_MODEL, 'point it at a GGUF model (ctest -R e2e-web sets it)');
export const chromium_path = process.env.OS1_CHROMIUM ?? '/usr/bin/chromium';

function load_playwright() {
    try {
        return require('playwright-core');
    } catch {
        throw new Error('e2e: playwright-core is missing; run `npm ci --ignore-scripts` in the repository');
    }
}

// A folder of its own under the system's temporary folder, removed with remove_home().
export async function make_home() {
    return mkdtemp(path.join(os.tmpdir(), 'os1-e2e-'));
}

export async function remove_home(home) {
    await rm(home, {recursive: true, force: true});
}

// Runs the os1 binary to completion with `input` on stdin; resolves to {code, signal, stdout, stderr}.
export function run_os1(args, {input = '', env = {}} = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(os1_binary(), args, {env: {...process.env, ...env}, stdio: ['pipe', 'pipe', 'pipe']});
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (text) => { stdout += text; });
        child.stderr.setEncoding('utf8').on('data', (text) => { stderr += text; });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}));
        child.stdin.end(input);
    });
}

// `os1 user add NAME --password-stdin --home HOME`.
export async function add_user(home, name, password) {
    const result = await run_os1(['user', 'add', name, '--password-stdin', '--home', home], {input: `${password}\n`});
    assert.equal(result.code, 0, `os1 user add ${name} failed (${result.code}): ${result.stderr}`);
}

// The server's clock is fixed at the instant it starts (OS1_NOW) and its zone is UTC, so that
// nothing it computes depends on when or where the test runs. Starting from the real instant
// keeps any expiry the server gives the browser (a cookie's) in the browser's future. Its rate
// limits refill on that clock too, that is never: a test file stays within the first burst
// (five sign-in attempts per user, twenty per address, two hundred requests per user).
function fixed_clock() {
    return {OS1_NOW: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), TZ: 'UTC0'};
}

// Starts `os1 serve --home HOME --port 0 --model MODEL` and resolves once it prints
// `listening on http://HOST:PORT`, to {url, process, log(), stop()}. stop() sends SIGTERM and
// resolves to {code, signal} when the process has exited.
// Replies are capped at `max_tokens`: random weights rarely end a reply on their own, and a
// short one still streams in many pieces. Background learning is off: the model's own reading
// of a message would move the mood by whatever random weights say, after a delay, and the page
// is what these tests are about.
export function start_server(home, {env = {}, args = [], max_tokens = 40} = {}) {
    const command = ['serve', '--home', home, '--port', '0', '--model', test_model(), '--max-tokens', String(max_tokens),
                     '--no-learning'];
    const child = spawn(os1_binary(), [...command, ...args], {
        env: {...process.env, ...fixed_clock(), ...env},
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({code, signal})));
    child.stdout.setEncoding('utf8').on('data', (text) => { log += text; });
    const listening = new Promise((resolve, reject) => {
        const lines = readline.createInterface({input: child.stderr});
        lines.on('line', (line) => {
            log += `${line}\n`;
            const match = /listening on (http:\/\/\S+)/.exec(line);
            if (match) resolve(match[1].replace(/\/$/, ''));
        });
        child.on('error', reject);
        exited.then(({code, signal}) =>
            reject(new Error(`os1 serve exited (${code ?? signal}) before listening:\n${log}`)));
    });
    return listening.then((url) => ({
        url,
        process: child,
        log: () => log,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
        },
    }));
}

// Debian's Chromium, headless. Each test file gets its own browser. `args` adds switches, such
// as fake_microphone()'s.
export async function launch_browser({args = []} = {}) {
    assert.ok(existsSync(chromium_path),
              `e2e: no Chromium at ${chromium_path}; install it (apt-get install chromium, or scripts/setup.sh --tests)` +
                  ' or set OS1_CHROMIUM');
    const {chromium} = load_playwright();
    return chromium.launch({executablePath: chromium_path, args: ['--no-sandbox', ...args]});
}

// Chromium's switches for a microphone that plays `wav` once (then silence) to every page that
// opens it, allowed without asking.
export function fake_microphone(wav) {
    return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
            `--use-file-for-fake-audio-capture=${wav}%noloop`, '--autoplay-policy=no-user-gesture-required'];
}

export const desktop = {width: 1280, height: 800};
export const phone = {width: 390, height: 844};

// A page of a fresh context (its own cookies), in the light or dark `color_scheme`. `bypass_csp` turns the page's
// Content-Security-Policy off, for axe (which is injected as an inline script) and for the
// XSS tests, which must show that the page is safe on its own, not only behind the policy.
// Otherwise every policy violation the page causes is recorded in `page.csp_violations`.
export async function open_page(browser, base_url, {viewport = desktop, bypass_csp = false, color_scheme = 'light',
                                                   permissions = []} = {}) {
    const context = await browser.newContext({baseURL: base_url, viewport, bypassCSP: bypass_csp, colorScheme: color_scheme,
                                              permissions});
    // Waits end on the conditions the tests name; this only bounds how long a failing one
    // hangs, generously, since a reply on a busy two-core machine can take a while.
    context.setDefaultTimeout(180_000);
    const page = await context.newPage();
    page.csp_violations = [];
    page.page_errors = [];
    await page.exposeFunction('__os1_csp_violation', (text) => page.csp_violations.push(text));
    await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
            window.__os1_csp_violation(`${event.violatedDirective}: ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`);
        });
    });
    page.on('pageerror', (error) => page.page_errors.push(String(error)));
    return page;
}

let artifacts = null;

// Where screenshots go: $OS1_E2E_ARTIFACTS, else a temporary folder named in the test output.
export async function artifacts_dir() {
    if (!artifacts) {
        artifacts = process.env.OS1_E2E_ARTIFACTS ? path.resolve(process.env.OS1_E2E_ARTIFACTS) :
            await mkdtemp(path.join(os.tmpdir(), 'os1-e2e-artifacts-'));
        await mkdir(artifacts, {recursive: true});
        if (!process.env.OS1_E2E_ARTIFACTS) console.log(`e2e: screenshots are in ${artifacts}`);
    }
    return artifacts;
}

export async function screenshot(page, name) {
    const file = path.join(await artifacts_dir(), `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
    await page.screenshot({path: file, fullPage: true});
    return file;
}

// Runs axe-core on the page as it is now and fails on serious or critical violations, listing
// each with the elements involved. The page must have been opened with bypass_csp.
export async function assert_accessible(page, label) {
    await page.addScriptTag({path: require.resolve('axe-core/axe.min.js')});
    const results = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const described = serious.map((v) => `${v.impact} ${v.id}: ${v.help}\n` +
        v.nodes.slice(0, 5).map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.split('\n').join(' ')}`).join('\n'));
    assert.deepEqual(described, [], `axe found serious problems on ${label}:\n${described.join('\n')}`);
    return results.violations;
}

// Logs in through the form and waits for the app's header, which appears only with a session.
export async function log_in(page, user, password) {
    await page.goto('/');
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password', {exact: true}).fill(password);
    await page.getByRole('button', {name: 'Log in'}).click();
    await page.locator('#app-header').waitFor({state: 'visible'});
}

// A fetch made by the page itself, with its cookie and, for changes, its CSRF token (read from
// /api/me as the app does). Resolves to {status, body}.
export async function page_fetch(page, path_, {method = 'GET', json} = {}) {
    return page.evaluate(async ({path_, method, json}) => {
        const headers = {};
        if (method !== 'GET') {
            const me = await fetch('/api/me').then((r) => r.json());
            headers['X-CSRF-Token'] = me.csrf;
        }
        if (json !== undefined) headers['Content-Type'] = 'application/json';
        const response = await fetch(path_, {method, headers, body: json === undefined ? undefined : JSON.stringify(json)});
        const text = await response.text();
        let body = text;
        try {
            body = text ? JSON.parse(text) : null;
        } catch {
            // not JSON: kept as text
        }
        return {status: response.status, body};
    }, {path_, method, json});
}

// One server with its home and users, and one browser, for a test file: set up in before(),
// torn down in after().
// `browser_args` go to launch_browser(), `server` to start_server().
export class Fixture {
    constructor(users, {browser_args = [], server = {}} = {}) {
        this.users = users;  // [{name, password}]
        this.browser_args = browser_args;
        this.server_options = server;
    }

    async setup() {
        this.home = await make_home();
        for (const {name, password} of this.users) await add_user(this.home, name, password);
        this.server = await start_server(this.home, this.server_options);
        this.browser = await launch_browser({args: this.browser_args});
    }

    async teardown() {
        await this.browser?.close();
        const exit = await this.server?.stop();
        if (this.home) await remove_home(this.home);
        return exit;
    }

    page(options = {}) {
        return open_page(this.browser, this.server.url, options);
    }
}

// Opens a view by its address and waits until it has loaded its data (the app marks a view
// aria-busy while it loads). Use it to move between views, not within one.
export async function open_view(page, name) {
    await page.goto(`/#/${name}`);
    await page.locator(`#view-${name}[aria-busy="false"]`).waitFor();
}

// Sends a chat message through the composer and waits until the reply has finished (its
// element loses .turn-streaming); resolves to the chat's status line, e.g. "Reply complete.".
export async function send_message(page, text) {
    await page.locator('#message').fill(text);
    await page.getByRole('button', {name: 'Send', exact: true}).click();
    await page.locator('#transcript .turn-streaming').waitFor({state: 'detached'});
    return page.locator('#chat-status').textContent();
}

// Asserts that the page ran into no policy violation and threw no uncaught error.
export function assert_clean(page) {
    assert.deepEqual(page.csp_violations, [], 'Content-Security-Policy violations');
    assert.deepEqual(page.page_errors, [], 'uncaught errors in the page');
}
