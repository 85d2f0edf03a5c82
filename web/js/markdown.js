// A small Markdown renderer that builds DOM nodes and never parses HTML: every piece of the
// input ends up in a text node, so markup in a reply, a memory or a card is shown, not run.
// It covers what a chat needs: paragraphs, line breaks, **bold**, *italic*, `code`, fenced code
// blocks, lists, and links, the last only to http, https and mailto URLs; anything else (a
// `javascript:` or `data:` link, a relative one) stays plain text.
//
// The document is a parameter so that the tests can run it on a minimal DOM of their own.

const link_schemes = new Set(['http:', 'https:', 'mailto:']);

// Deeper nesting than this is not written by people; past it the rest is plain text, which
// bounds the recursion on hostile input.
const max_depth = 16;

// The URL a link may point to, or null. Parsing with URL() reads the address the way the
// browser will (it drops tabs and newlines, trims spaces, lowercases the scheme), so
// `java\tscript:` or ` JAVASCRIPT:` cannot slip through a string comparison.
export function safe_link_target(raw) {
    let url;
    try {
        url = new URL(raw);
    } catch {
        return null;  // relative or malformed: there is no scheme to trust
    }
    return link_schemes.has(url.protocol) ? url.href : null;
}

const fence_open = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const list_item = /^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const heading = /^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/;
const blank = /^[ \t]*$/;

// Returns a DocumentFragment for `text`.
export function render_markdown(text, doc = globalThis.document) {
    const fragment = doc.createDocumentFragment();
    const lines = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
    let i = 0;
    while (i < lines.length) {
        const line = lines[i];
        if (blank.test(line)) {
            ++i;
            continue;
        }
        const fence = fence_open.exec(line);
        if (fence) {
            i = code_block(lines, i, fence, doc, fragment);
            continue;
        }
        if (list_item.test(line)) {
            i = list(lines, i, doc, fragment);
            continue;
        }
        const title = heading.exec(line);
        if (title) {
            // A heading inside a message would break the page's own outline, so it is shown as
            // a bold line instead.
            const p = doc.createElement('p');
            const strong = doc.createElement('strong');
            inline(title[1], doc, strong, 0);
            p.appendChild(strong);
            fragment.appendChild(p);
            ++i;
            continue;
        }
        i = paragraph(lines, i, doc, fragment);
    }
    return fragment;
}

function starts_block(line) {
    return blank.test(line) || fence_open.test(line) || list_item.test(line) || heading.test(line);
}

// A fence that is never closed runs to the end, which is what a reply still being streamed
// looks like.
function code_block(lines, i, fence, doc, parent) {
    const marker = fence[1];
    const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
    const body = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j])) body.push(lines[j++]);
    const pre = doc.createElement('pre');
    const code = doc.createElement('code');
    const language = fence[2];
    if (/^[A-Za-z0-9_+-]{1,32}$/.test(language)) code.setAttribute('data-language', language);
    code.appendChild(doc.createTextNode(body.join('\n')));
    pre.appendChild(code);
    parent.appendChild(pre);
    return j < lines.length ? j + 1 : j;
}

// Consecutive items of one kind make a list; an indented line continues the item above it.
function list(lines, i, doc, parent) {
    const first = list_item.exec(lines[i]);
    const ordered = /\d/.test(first[1]);
    const element = doc.createElement(ordered ? 'ol' : 'ul');
    if (ordered) {
        const start = Number.parseInt(first[1], 10);
        if (start !== 1) element.setAttribute('start', String(start));
    }
    let item = null;
    let item_lines = [];
    const close_item = () => {
        if (!item) return;
        inline_lines(item_lines, doc, item);
        element.appendChild(item);
    };
    let j = i;
    while (j < lines.length) {
        const match = list_item.exec(lines[j]);
        if (match) {
            if (/\d/.test(match[1]) !== ordered) break;
            close_item();
            item = doc.createElement('li');
            item_lines = [match[2]];
        } else if (/^[ \t]{2,}\S/.test(lines[j])) {
            item_lines.push(lines[j].trim());
        } else {
            break;
        }
        ++j;
    }
    close_item();
    parent.appendChild(element);
    return j;
}

function paragraph(lines, i, doc, parent) {
    const body = [lines[i]];
    let j = i + 1;
    while (j < lines.length && !starts_block(lines[j])) body.push(lines[j++]);
    const p = doc.createElement('p');
    inline_lines(body.map((line) => line.trim()), doc, p);
    parent.appendChild(p);
    return j;
}

// Lines of one block, joined by <br>: a single newline in a chat message is meant.
function inline_lines(lines, doc, parent) {
    lines.forEach((line, index) => {
        if (index > 0) parent.appendChild(doc.createElement('br'));
        inline(line, doc, parent, 0);
    });
}

const escapable = new Set('\\`*_{}[]()#+-.!~<>|'.split(''));

// Inline spans. Each search for a marker remembers its answer, because the first `]` at or
// after p is also the first one at or after any position up to it, and a marker missing after
// p is missing after every later position too; that keeps hostile input (thousands of `*` or
// `[`) linear instead of quadratic.
function inline(text, doc, parent, depth) {
    if (depth > max_depth) {
        parent.appendChild(doc.createTextNode(text));
        return;
    }
    let plain = '';
    const flush = () => {
        if (plain) parent.appendChild(doc.createTextNode(plain));
        plain = '';
    };
    const searches = new Map();  // marker -> {from, at}: the last search and what it found
    const find = (marker, from) => {
        const last = searches.get(marker);
        if (last && from >= last.from && (last.at < 0 || from <= last.at)) return last.at;
        const at = text.indexOf(marker, from);
        searches.set(marker, {from, at});
        return at;
    };

    let i = 0;
    while (i < text.length) {
        const c = text[i];
        if (c === '\\' && i + 1 < text.length && escapable.has(text[i + 1])) {
            plain += text[i + 1];
            i += 2;
            continue;
        }
        if (c === '`') {
            let run = 1;
            while (text[i + run] === '`') ++run;
            const marker = '`'.repeat(run);
            const close = find(marker, i + run);
            if (close < 0) {
                plain += marker;
                i += run;
                continue;
            }
            let content = text.slice(i + run, close);
            if (content.length > 2 && content.startsWith(' ') && content.endsWith(' ')) content = content.slice(1, -1);
            flush();
            const code = doc.createElement('code');
            code.appendChild(doc.createTextNode(content));
            parent.appendChild(code);
            i = close + run;
            continue;
        }
        if (c === '*' && text[i + 1] === '*') {
            const close = find('**', i + 2);
            if (close > i + 2 && !/\s/.test(text[i + 2]) && !/\s/.test(text[close - 1])) {
                flush();
                const strong = doc.createElement('strong');
                inline(text.slice(i + 2, close), doc, strong, depth + 1);
                parent.appendChild(strong);
                i = close + 2;
                continue;
            }
            plain += '**';
            i += 2;
            continue;
        }
        if (c === '*') {
            const close = single_star(text, i + 1, find);
            if (close > i + 1 && !/\s/.test(text[i + 1]) && !/\s/.test(text[close - 1])) {
                flush();
                const em = doc.createElement('em');
                inline(text.slice(i + 1, close), doc, em, depth + 1);
                parent.appendChild(em);
                i = close + 1;
                continue;
            }
            plain += '*';
            ++i;
            continue;
        }
        if (c === '[') {
            const link = parse_link(text, i, find);
            if (link) {
                const target = safe_link_target(link.url);
                if (target) {
                    flush();
                    const a = doc.createElement('a');
                    a.setAttribute('href', target);
                    a.setAttribute('rel', 'noopener noreferrer nofollow');
                    a.setAttribute('target', '_blank');
                    // The label holds no `]`, so it cannot hold another link either.
                    inline(link.label, doc, a, depth + 1);
                    parent.appendChild(a);
                } else {
                    plain += text.slice(i, link.end);  // the whole link, shown as typed
                }
                i = link.end;
                continue;
            }
        }
        plain += c;
        ++i;
    }
    flush();
}

// The next `*` that stands alone, skipping `**` pairs, which belong to bold text inside.
function single_star(text, from, find) {
    let at = find('*', from);
    while (at >= 0 && text[at + 1] === '*') {
        let end = at;
        while (text[end] === '*') ++end;
        at = find('*', end);
    }
    return at;
}

const max_url_length = 2048;

// [label](url): the URL has no spaces or `[` and may hold balanced parentheses. Stopping at
// `[` (and at the length bound) keeps a run of unclosed `[x](` linear: each attempt reads only
// up to the next one.
function parse_link(text, i, find) {
    const close = find(']', i + 1);
    if (close < 0 || text[close + 1] !== '(') return null;
    let depth = 0;
    let j = close + 2;
    const limit = Math.min(text.length, j + max_url_length);
    for (; j < limit; ++j) {
        const c = text[j];
        if (c === '[' || /\s/.test(c)) return null;
        if (c === '(') ++depth;
        if (c === ')') {
            if (depth === 0) break;
            --depth;
        }
    }
    if (j >= limit || j === close + 2) return null;
    return {label: text.slice(i + 1, close), url: text.slice(close + 2, j), end: j + 1};
}
