// The page's source against the rules that keep it safe: no API that parses markup or runs
// strings as code, and nothing in index.html that the Content-Security-Policy would block (it
// would fail silently in the browser) or that loads from elsewhere.
import assert from 'node:assert/strict';
import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {test} from 'node:test';

const web = new URL('../../web/', import.meta.url);

async function files(dir = web) {
    const found = [];
    for (const entry of await readdir(dir, {withFileTypes: true})) {
        const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
        if (entry.isDirectory()) found.push(...await files(url));
        else found.push(url);
    }
    return found;
}

const relative = (url) => path.relative(web.pathname, url.pathname);

test('no script uses an API that parses markup or runs text as code', async () => {
    const forbidden = [
        /\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\s*\(/,
        /new\s+Function\s*\(/, /setHTMLUnsafe/, /createContextualFragment/, /DOMParser/,
        /setAttribute\(\s*['"](style|on\w+|srcdoc)['"]/, /\.cssText\b/, /setTimeout\(\s*['"`]/,
    ];
    const scripts = (await files()).filter((url) => url.pathname.endsWith('.js'));
    assert.ok(scripts.length > 5, 'the page has its scripts');
    for (const url of scripts) {
        const source = await readFile(url, 'utf8');
        for (const pattern of forbidden) assert.doesNotMatch(source, pattern, `${relative(url)} uses ${pattern}`);
    }
});

test('index.html has no inline script, style or handler, and loads nothing from elsewhere', async () => {
    const html = await readFile(new URL('index.html', web), 'utf8');
    for (const match of html.matchAll(/<script\b[^>]*>/g)) assert.match(match[0], /\bsrc="\/[^"]+"/, match[0]);
    assert.doesNotMatch(html, /<script\b[^>]*>[^<\s]/, 'an inline script');
    assert.doesNotMatch(html, /<style\b/, 'a <style> element');
    assert.doesNotMatch(html, /\sstyle\s*=/, 'a style attribute');
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'an event handler attribute');
    assert.doesNotMatch(html, /javascript:/i);
    for (const match of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) {
        assert.match(match[1], /^(\/|#)/, `${match[1]} is not on this server`);
    }
});

test('every file the page refers to exists under web/', async () => {
    const present = new Set((await files()).map((url) => `/${relative(url)}`));
    const html = await readFile(new URL('index.html', web), 'utf8');
    const referenced = [...html.matchAll(/\s(?:src|href)="(\/[^"?#]*)"/g)].map((m) => m[1])
        .filter((p) => !p.startsWith('/api/'));
    for (const file of (await files()).filter((url) => url.pathname.endsWith('.js'))) {
        const source = await readFile(file, 'utf8');
        for (const m of source.matchAll(/^import\s[^'"]*['"](\.{1,2}\/[^'"]+)['"]/gm)) {
            referenced.push(`/${relative(new URL(m[1], file))}`);
        }
    }
    for (const file of referenced) assert.ok(present.has(file), `${file} is referred to but missing`);
});
