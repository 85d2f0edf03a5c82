// How the mood shape follows the PAD mood: hue with pleasure, pulse with arousal, size with
// dominance, each within its range whatever the server sends.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {load_web_module} from './load-module.mjs';

const {mood_appearance, mood_description} = await load_web_module('js/mood-visual.js');

test('more pleasure warms the hue, more arousal quickens the pulse, more dominance grows the shape', () => {
    const low = mood_appearance({pleasure: -1, arousal: -1, dominance: -1});
    const mid = mood_appearance({pleasure: 0, arousal: 0, dominance: 0});
    const high = mood_appearance({pleasure: 1, arousal: 1, dominance: 1});
    assert.ok(low.hue > mid.hue && mid.hue > high.hue, 'from blue through green to amber');
    assert.ok(low.pulse_seconds > mid.pulse_seconds && mid.pulse_seconds > high.pulse_seconds);
    assert.ok(low.scale < mid.scale && mid.scale < high.scale);
    assert.ok(low.saturation < high.saturation);
});

test('values outside [-1, 1], missing or not numbers are held to the range', () => {
    assert.deepEqual(mood_appearance({pleasure: 7, arousal: -9, dominance: 3}),
                     mood_appearance({pleasure: 1, arousal: -1, dominance: 1}));
    assert.deepEqual(mood_appearance({pleasure: 'x', arousal: null}), mood_appearance({}));
    assert.deepEqual(mood_appearance(null), mood_appearance({pleasure: 0, arousal: 0, dominance: 0}));
    for (const look of [mood_appearance({pleasure: 1e308}), mood_appearance({arousal: -Infinity})]) {
        for (const value of Object.values(look)) assert.ok(Number.isFinite(value));
    }
});

test("the words for the shape are the server's label, else made from the values", () => {
    assert.equal(mood_description({label: '  content ', pleasure: -1}), 'content');
    assert.equal(mood_description({pleasure: 0.8, arousal: 0.8}), 'pleased and lively');
    assert.equal(mood_description({pleasure: -0.8, arousal: -0.8}), 'unhappy and calm');
    assert.equal(mood_description({}), 'even and steady');
});
