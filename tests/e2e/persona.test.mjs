// The persona view: importing character cards through the file input (JSON V2, JSON V1 and a
// PNG card) and exporting the card through its download link.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import zlib from 'node:zlib';

import {Fixture, assert_clean, log_in, page_fetch, screenshot} from './harness.mjs';

const carol = {name: 'carol', password: 'persona tests password'};
const fixture = new Fixture([carol]);

before(() => fixture.setup());
after(() => fixture.teardown());

function card_v2(name) {
    return {
        spec: 'chara_card_v2',
        spec_version: '2.0',
        data: {
            name,
            description: `${name} is a lighthouse keeper who collects sea glass.`,
            personality: 'patient, dry humour',
            scenario: 'A stormy night at the lighthouse.',
            first_mes: `Evening. I am ${name}.`,
            mes_example: '',
            creator_notes: '',
            system_prompt: '',
            post_history_instructions: '',
            alternate_greetings: [],
            tags: [],
            creator: 'os1 tests',
            character_version: '1',
            extensions: {},
        },
    };
}

// A 1x1 PNG carrying `card` in a tEXt chunk named "chara" (base64 JSON), as card tools write it.
function png_card(card) {
    const crc_table = Array.from({length: 256}, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
    });
    const crc32 = (bytes) => {
        let c = 0xffffffff;
        for (const byte of bytes) c = crc_table[(c ^ byte) & 0xff] ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
    };
    const chunk = (type, data) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(data.length);
        const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(typed));
        return Buffer.concat([length, typed, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(1, 0);  // width
    header.writeUInt32BE(1, 4);  // height
    header[8] = 8;               // bit depth
    header[9] = 2;               // truecolour
    const pixels = zlib.deflateSync(Buffer.from([0, 200, 120, 80]));  // filter byte + one RGB pixel
    const text = Buffer.from(`chara\0${Buffer.from(JSON.stringify(card)).toString('base64')}`, 'latin1');
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', header), chunk('tEXt', text), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0)),
    ]);
}

async function import_card(page, file) {
    await page.getByLabel(/Character card/).setInputFiles(file);
    await page.getByRole('button', {name: 'Import', exact: true}).click();
    await page.locator('#persona-status').filter({hasText: /^(Imported|Could not import)/}).waitFor();
    return page.locator('#persona-status').textContent();
}

test('a JSON card imported through the file input becomes the persona', async () => {
    const page = await fixture.page();
    await log_in(page, carol.name, carol.password);
    await page.getByRole('link', {name: 'Persona'}).click();
    await page.locator('#persona-name').filter({hasText: /\S/}).waitFor();

    const status = await import_card(page, {
        name: 'marisol.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(card_v2('Marisol'))),
    });
    assert.equal(status, 'Imported marisol.json.');
    await page.locator('#persona-name').filter({hasText: 'Marisol'}).waitFor();
    await page.locator('#persona-fields').filter({hasText: 'collects sea glass'}).waitFor();
    assert.equal((await page_fetch(page, '/api/persona')).body.name, 'Marisol');
    // The name stays after a reload: it came from the server, not from the page's memory.
    await page.reload();
    await page.locator('#persona-name').filter({hasText: 'Marisol'}).waitFor();
    await screenshot(page, 'persona-imported');
    assert_clean(page);
    await page.context().close();
});

test('a V1 card and a PNG card import too, and a broken file is refused with a message', async () => {
    const page = await fixture.page();
    await log_in(page, carol.name, carol.password);
    await page.goto('/#/persona');
    await page.locator('#persona-name').filter({hasText: /\S/}).waitFor();

    const v1 = {name: 'Teodor', description: 'A retired cartographer.', personality: 'curious', scenario: '',
                first_mes: 'Hello there.', mes_example: ''};
    assert.equal(await import_card(page, {name: 'teodor.json', mimeType: 'application/json',
                                          buffer: Buffer.from(JSON.stringify(v1))}), 'Imported teodor.json.');
    await page.locator('#persona-name').filter({hasText: 'Teodor'}).waitFor();

    assert.equal(await import_card(page, {name: 'ines.png', mimeType: 'image/png', buffer: png_card(card_v2('Ines'))}),
                 'Imported ines.png.');
    await page.locator('#persona-name').filter({hasText: 'Ines'}).waitFor();

    const refused = await import_card(page, {name: 'broken.json', mimeType: 'application/json',
                                             buffer: Buffer.from('{"spec": "chara_card_v2", "data": ')});
    assert.match(refused, /^Could not import broken\.json: \S/);
    await page.locator('#persona-name').filter({hasText: 'Ines'}).waitFor();
    assert_clean(page);
    await page.context().close();
});

test('the persona downloads as a JSON file through the export link', async () => {
    const page = await fixture.page();
    await log_in(page, carol.name, carol.password);
    await page.goto('/#/persona');
    await page.locator('#persona-name').filter({hasText: /\S/}).waitFor();
    const name = await page.locator('#persona-name').textContent();
    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', {name: 'Download as JSON'}).click(),
    ]);
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    const card = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    assert.equal(card.data?.name ?? card.name, name);
    assert_clean(page);
    await page.context().close();
});
