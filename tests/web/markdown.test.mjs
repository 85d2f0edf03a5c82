// The Markdown renderer on a minimal DOM: what it builds, and that markup in the input never
// becomes an element or a live link.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {load_web_module} from './load-module.mjs';
import {MiniDocument, elements, to_html} from './mini-dom.mjs';

const {render_markdown, safe_link_target} = await load_web_module('js/markdown.js');
const doc = new MiniDocument();
const html = (text) => to_html(render_markdown(text, doc));

test('paragraphs are split by blank lines and keep single line breaks', () => {
    assert.equal(html('one\ntwo\n\nthree'), '<p>one<br>two</p><p>three</p>');
    assert.equal(html(''), '');
    assert.equal(html(null), '');
    assert.equal(html('\n\n  \n'), '');
});

test('bold, italic and inline code', () => {
    assert.equal(html('**b** and *i* and `c`'), '<p><strong>b</strong> and <em>i</em> and <code>c</code></p>');
    assert.equal(html('*it **bold** it*'), '<p><em>it <strong>bold</strong> it</em></p>');
    assert.equal(html('`` a ` b ``'), '<p><code>a ` b</code></p>');
    assert.equal(html('`**not bold**`'), '<p><code>**not bold**</code></p>');
});

test('markers without a partner stay as typed', () => {
    assert.equal(html('2 * 3 * 4 and 2 ** 3'), '<p>2 * 3 * 4 and 2 ** 3</p>');
    assert.equal(html('**open and `tick'), '<p>**open and `tick</p>');
    assert.equal(html('\\*not italic\\*'), '<p>*not italic*</p>');
});

test('fenced code blocks keep their text verbatim, closed or still streaming', () => {
    assert.equal(html("```js\nconst a = '<b>';\n\n**x**\n```\nafter"),
                 '<pre><code data-language="js">const a = \'&lt;b&gt;\';\n\n**x**</code></pre><p>after</p>');
    assert.equal(html('~~~\nstill\ncoming'), '<pre><code>still\ncoming</code></pre>');
    assert.equal(html('```"><script>\nx\n```'), '<pre><code>x</code></pre>');
});

test('lists, ordered and not, with continuation lines', () => {
    assert.equal(html('- a\n- **b**\n  more\n\n1. x\n2. y'),
                 '<ul><li>a</li><li><strong>b</strong><br>more</li></ul><ol><li>x</li><li>y</li></ol>');
    assert.equal(html('3) three\n4) four'), '<ol start="3"><li>three</li><li>four</li></ol>');
    assert.equal(html('- a\n1. b'), '<ul><li>a</li></ul><ol><li>b</li></ol>');
});

test('headings are shown as bold lines, not page headings', () => {
    assert.equal(html('## Title ##\ntext'), '<p><strong>Title</strong></p><p>text</p>');
});

test('links to http, https and mailto become anchors that open apart from the app', () => {
    assert.equal(html('[site](https://example.com/a_(b)) and [mail](mailto:a@example.com)'),
                 '<p><a href="https://example.com/a_(b)" rel="noopener noreferrer nofollow" target="_blank">site</a>' +
                     ' and <a href="mailto:a@example.com" rel="noopener noreferrer nofollow" target="_blank">mail</a></p>');
    assert.equal(html('[**bold** link](http://example.com)'),
                 '<p><a href="http://example.com/" rel="noopener noreferrer nofollow" target="_blank"><strong>bold</strong> link</a></p>');
});

test('links with any other scheme, or none, are plain text', () => {
    const refused = [
        '[click](javascript:window.__xss=1)',
        '[click](JAVASCRIPT:alert(1))',
        '[click](java\tscript:alert(1))',
        '[click](data:text/html,<script>alert(1)</script>)',
        '[click](vbscript:msgbox(1))',
        '[click](/relative/path)',
        '[click](file:///etc/passwd)',
        '[click](%6Aavascript:alert(1))',
    ];
    for (const text of refused) {
        const fragment = render_markdown(text, doc);
        assert.equal(elements(fragment).filter((e) => e.tagName === 'a').length, 0, text);
        assert.equal(fragment.textContent, text, text);
    }
    assert.equal(safe_link_target(' javascript:alert(1)'), null);
    assert.equal(safe_link_target('\u0000javascript:alert(1)'), null);
    assert.equal(safe_link_target('HTTPS://Example.com'), 'https://example.com/');
});

test('markup in the input is text, never elements', () => {
    const payloads = [
        '<img src=x onerror=window.__xss=1>',
        '<script>window.__xss=1</script>',
        '**<b onclick="x()">bold</b>**',
        '- <iframe src="javascript:1">',
        '`<svg onload=alert(1)>`',
    ];
    for (const text of payloads) {
        const fragment = render_markdown(text, doc);
        const tags = elements(fragment).map((e) => e.tagName);
        for (const tag of tags) assert.ok(['p', 'strong', 'li', 'ul', 'code'].includes(tag), `${text}: <${tag}>`);
        assert.ok(fragment.textContent.includes('<'), text);
    }
});

test('only a fixed set of elements and attributes is ever produced', () => {
    const text = [
        '# h', 'p **b** *i* `c` [l](https://x.example) [j](javascript:x)', '', '```py', 'code', '```',
        '- u', '2. o', '<a href="javascript:x" style="x" onclick="x">', '[x](https://e.example "title")',
    ].join('\n');
    const allowed_tags = new Set(['p', 'br', 'strong', 'em', 'code', 'pre', 'ul', 'ol', 'li', 'a']);
    const allowed_attributes = new Set(['href', 'rel', 'target', 'start', 'data-language']);
    for (const element of elements(render_markdown(text, doc))) {
        assert.ok(allowed_tags.has(element.tagName), element.tagName);
        for (const name of element.attributes.keys()) assert.ok(allowed_attributes.has(name), name);
    }
});

test('hostile runs of markers render as text without blowing up', () => {
    // Quadratic searching would take minutes on these; the renderer remembers failed searches.
    const n = 200000;
    for (const text of ['*'.repeat(n), '['.repeat(n), '[a]('.repeat(n / 4), '`'.repeat(n), '*a'.repeat(n / 2),
                        '**a *b '.repeat(n / 7)]) {
        const fragment = render_markdown(text, doc);
        // A line of backticks only opens an (empty) code block; everything else is kept.
        if (!text.startsWith('`')) assert.ok(fragment.textContent.length >= text.length / 2);
    }
    const deep = '*a '.repeat(1000) + 'x' + ' a*'.repeat(1000);
    assert.ok(render_markdown(deep, doc).textContent.includes('x'));
});
