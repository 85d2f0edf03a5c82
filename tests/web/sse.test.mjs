// The page's server-sent-events reader: framing by the HTML standard's rules, whatever the
// chunking, and multi-byte characters split between network reads.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {load_web_module} from './load-module.mjs';

const {SseParser, read_events} = await load_web_module('js/sse.js');

function parse_all(chunks) {
    const parser = new SseParser();
    const events = [];
    for (const chunk of chunks) events.push(...parser.push(chunk));
    events.push(...parser.finish());
    return events;
}

const stream = [
    '\ufeff: keep-alive comment\n',
    'event: prepared\ndata: {"conversation":7}\n\n',
    'event: text\ndata:no space\n\n',
    'data: line one\r\ndata: line two\r\n\r\n',
    'event: text\rdata: cr only\r\r',
    'event: empty\n\n',
    'event: done\nid: 3\nretry: 10\ndata\n\n',
    'event: text\ndata: never closed',
];
const expected = [
    {event: 'prepared', data: '{"conversation":7}'},
    {event: 'text', data: 'no space'},
    {event: 'message', data: 'line one\nline two'},
    {event: 'text', data: 'cr only'},
    {event: 'done', data: ''},
];

test('events are framed by blank lines; comments, ids and empty events are left out', () => {
    assert.deepEqual(parse_all(stream), [
        expected[0], expected[1], expected[2], expected[3],
        // `data` with no colon is a data line with an empty value, so this one is dispatched.
        {event: 'done', data: ''},
    ]);
});

test('the same events come out whatever the chunk boundaries, even inside CRLF', () => {
    const text = stream.join('');
    assert.deepEqual(parse_all([...text]), expected);
    for (let cut = 1; cut < text.length; ++cut) {
        assert.deepEqual(parse_all([text.slice(0, cut), text.slice(cut)]), expected, `cut at ${cut}`);
    }
});

test('a CR at the very end of the stream still ends its line', () => {
    assert.deepEqual(parse_all(['data: x\r', '\r']), [{event: 'message', data: 'x'}]);
    assert.deepEqual(parse_all(['data: x\r\r']), [{event: 'message', data: 'x'}]);
});

test('read_events decodes UTF-8 split across reads and yields events as they complete', async () => {
    const bytes = new TextEncoder().encode('event: text\ndata: {"text":"caf\u00e9 \ud83d\ude00"}\n\nevent: done\ndata: {}\n\n');
    const body = new ReadableStream({
        start(controller) {
            for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
            controller.close();
        },
    });
    const events = [];
    for await (const event of read_events(new Response(body))) events.push(event);
    assert.deepEqual(events, [{event: 'text', data: '{"text":"caf\u00e9 \ud83d\ude00"}'}, {event: 'done', data: '{}'}]);
});

test('read_events hands each event over before the stream has ended', async () => {
    let controller;
    const body = new ReadableStream({start(c) { controller = c; }});
    const events = read_events(new Response(body))[Symbol.asyncIterator]();
    controller.enqueue(new TextEncoder().encode('event: text\ndata: {"text":"a"}\n\n'));
    assert.deepEqual((await events.next()).value, {event: 'text', data: '{"text":"a"}'});
    controller.close();
    assert.equal((await events.next()).done, true);
});
