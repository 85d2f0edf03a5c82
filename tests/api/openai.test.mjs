// The OpenAI-compatible API through the official `openai` npm client, against a real
// `os1 serve` on the smallest generated model (random weights: the assertions are about the
// protocol and the stored state, never the words).
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import OpenAI from 'openai';

import {add_user, make_home, remove_home, run_os1, start_server} from '../e2e/harness.mjs';

let home;
let server;
let alice;
let bob;
let model_id;

before(async () => {
    home = await make_home();
    await add_user(home, 'alice', 'alice-password');
    await add_user(home, 'bob', 'bob-password');
    const token = async (user) => {
        const result = await run_os1(['token', 'create', '--user', user, '--home', home]);
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stdout.trim().split('\n');
        assert.equal(lines.length, 1, 'the token is alone on stdout');
        return lines[0];
    };
    server = await start_server(home);
    alice = new OpenAI({baseURL: `${server.url}/v1`, apiKey: await token('alice'), maxRetries: 0});
    bob = new OpenAI({baseURL: `${server.url}/v1`, apiKey: await token('bob'), maxRetries: 0});
});

after(async () => {
    if (server) {
        const {code} = await server.stop();
        assert.equal(code, 0, 'SIGTERM stops the server with status 0');
    }
    if (home) await remove_home(home);
});

test('models lists the companion and the plain model', async () => {
    const models = [];
    for await (const model of alice.models.list()) models.push(model.id);
    assert.ok(models.includes('os1'));
    assert.equal(models.length, 2);
    model_id = models.find((id) => id !== 'os1');
});

test('a streamed companion reply follows the chunk rules', async () => {
    const stream = await alice.chat.completions.create({
        model: 'os1',
        stream: true,
        stream_options: {include_usage: true},
        max_tokens: 8,
        seed: 1,
        messages: [{role: 'user', content: 'Tell me something nice.'}],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 3);
    const ids = new Set(chunks.map((chunk) => chunk.id));
    assert.equal(ids.size, 1, 'one id on every chunk');
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.ok(usage.usage.completion_tokens >= 1 && usage.usage.completion_tokens <= 8);
    const last_content = chunks.at(-2);
    assert.ok(['stop', 'length'].includes(last_content.choices[0].finish_reason));
    assert.equal(last_content.choices[0].finish_reason, usage.usage.completion_tokens === 8 ? 'length' : 'stop');
});

test('a whole reply, and the conversation it is stored in', async () => {
    const first = await alice.chat.completions.create({
        model: 'os1', max_tokens: 6, messages: [{role: 'user', content: 'My cat is called Miso.'}],
    });
    assert.equal(first.object, 'chat.completion');
    const reply = first.choices[0].message.content;
    assert.equal(typeof reply, 'string');
    // Sending the history back continues that conversation.
    const second = await alice.chat.completions.create({
        model: 'os1', max_tokens: 6,
        messages: [{role: 'user', content: 'My cat is called Miso.'}, {role: 'assistant', content: reply},
                   {role: 'user', content: 'What is my cat called?'}],
    });
    assert.equal(second.choices[0].message.role, 'assistant');
    const cached = second.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached > 0 && cached < second.usage.prompt_tokens,
              `the continued conversation reuses its cache (${cached} of ${second.usage.prompt_tokens})`);
});

test('the plain model continues a resent history from its cache, for its own user only', async () => {
    const history = [{role: 'system', content: 'You answer briefly.'},
                     {role: 'user', content: 'Name three rivers of Europe, please.'}];
    const first = await alice.chat.completions.create({model: model_id, max_tokens: 6, seed: 1, messages: history});
    const resent = [...history, {role: 'assistant', content: first.choices[0].message.content},
                    {role: 'user', content: 'And three mountains?'}];
    // Bob sends Alice's exact history: nothing of hers is reused for him.
    const stranger = await bob.chat.completions.create({model: model_id, max_tokens: 4, seed: 1, messages: resent});
    assert.equal(stranger.usage.prompt_tokens_details.cached_tokens, 0);
    const again = await alice.chat.completions.create({model: model_id, max_tokens: 4, seed: 1, messages: resent});
    const cached = again.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached >= first.usage.prompt_tokens && cached < again.usage.prompt_tokens,
              `Alice's resent history reuses her cache (${cached} of ${again.usage.prompt_tokens})`);
});

test('json_object and json_schema replies parse as JSON', async () => {
    const object = await alice.chat.completions.create({
        model: model_id, max_tokens: 64, temperature: 0.8, seed: 3,
        response_format: {type: 'json_object'},
        messages: [{role: 'user', content: 'Give me a JSON object.'}],
    });
    const choice = object.choices[0];
    if (choice.finish_reason === 'stop') assert.equal(typeof JSON.parse(choice.message.content), 'object');
    const schema = await alice.chat.completions.create({
        model: model_id, max_tokens: 64, temperature: 0.8, seed: 4,
        response_format: {type: 'json_schema', json_schema: {name: 'pet', schema: {
            type: 'object', properties: {name: {type: 'string', maxLength: 8}, age: {type: 'integer'}},
            required: ['name', 'age'], additionalProperties: false}}},
        messages: [{role: 'user', content: 'A pet, please.'}],
    });
    if (schema.choices[0].finish_reason === 'stop') {
        const pet = JSON.parse(schema.choices[0].message.content);
        assert.equal(typeof pet.name, 'string');
        assert.ok(Number.isInteger(pet.age));
    }
});

test('unsupported values are refused with a 400 that names them', async () => {
    await assert.rejects(
        alice.chat.completions.create({model: 'os1', n: 2, messages: [{role: 'user', content: 'hi'}]}),
        (error) => error.status === 400 && /'n'/.test(error.message));
    await assert.rejects(
        alice.chat.completions.create({model: 'no-such-model', messages: [{role: 'user', content: 'hi'}]}),
        (error) => error.status === 404 && error.code === 'model_not_found');
    await assert.rejects(
        alice.chat.completions.create({model: 'os1', stream: true, max_tokens: 100000,
                                       messages: [{role: 'user', content: 'hi'}]}),
        (error) => error.status === 400 && /max_tokens/.test(error.message));
});

test('a prompt that can never fit is a 400 before any stream starts', async () => {
    const long = 'word '.repeat(6000);
    await assert.rejects(
        alice.chat.completions.create({model: model_id, stream: true, messages: [{role: 'user', content: long}]}),
        (error) => error.status === 400);
});

test('a bad token is a 401, and users never see each other', async () => {
    const stranger = new OpenAI({baseURL: `${server.url}/v1`, apiKey: 'os1_not-a-token', maxRetries: 0});
    await assert.rejects(stranger.models.list(), (error) => error.status === 401);
    // Bob sends Alice's exact history: he gets a conversation of his own, and his companion
    // has none of Alice's.
    const copied = await bob.chat.completions.create({
        model: 'os1', max_tokens: 4, messages: [{role: 'user', content: 'My cat is called Miso.'}],
    });
    // His first prompt borrows only the persona's cache from Alice's: never her words.
    const cached = copied.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached > 0 && cached < copied.usage.prompt_tokens - 8,
              `Bob's prompt shares the persona and nothing after it (${cached} of ${copied.usage.prompt_tokens})`);
    const headers = {Authorization: `Bearer ${bob.apiKey}`};
    const conversations = await (await fetch(`${server.url}/api/conversations`, {headers})).json();
    assert.equal(conversations.conversations.length, 1);
    // Only Alice ever said this.
    const search = await (await fetch(`${server.url}/api/memory/search?q=${encodeURIComponent('something nice')}`,
                                      {headers})).json();
    assert.deepEqual(search.hits, []);
    const alice_headers = {Authorization: `Bearer ${alice.apiKey}`};
    const alice_conversations = await (await fetch(`${server.url}/api/conversations`, {headers: alice_headers})).json();
    assert.ok(alice_conversations.conversations.length >= 2);
});
