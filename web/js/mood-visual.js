// The companion's mood as a living shape rather than a number: its hue follows pleasure (blue
// when low, green in between, amber when high), its pulse quickens with arousal, and it grows
// with dominance. The numbers reach the page only as CSS custom properties, which style.css
// turns into colour, size and animation speed, and which the Content-Security-Policy allows
// because they are set through the CSSOM, not as style attributes in markup.

function clamp_unit(value) {
    const number = Number(value);
    if (!Number.isFinite(number)) return 0;
    return Math.min(1, Math.max(-1, number));
}

// The look of a PAD mood (each value in [-1, 1]): hue in degrees, saturation in percent,
// seconds per pulse, and scale.
export function mood_appearance(mood) {
    const pleasure = clamp_unit(mood?.pleasure);
    const arousal = clamp_unit(mood?.arousal);
    const dominance = clamp_unit(mood?.dominance);
    return {
        hue: 135 - 95 * pleasure,
        saturation: 60 + 25 * arousal,
        pulse_seconds: 2.4 * Math.pow(2.5, -arousal),
        scale: 0.92 + 0.2 * dominance,
    };
}

// Words for the shape, for people who cannot see it: the server's label, or one made from
// the values when it sent none.
export function mood_description(mood) {
    if (typeof mood?.label === 'string' && mood.label.trim()) return mood.label.trim();
    const pleasure = clamp_unit(mood?.pleasure);
    const arousal = clamp_unit(mood?.arousal);
    const feeling = pleasure > 0.25 ? 'pleased' : pleasure < -0.25 ? 'unhappy' : 'even';
    const energy = arousal > 0.25 ? 'lively' : arousal < -0.25 ? 'calm' : 'steady';
    return `${feeling} and ${energy}`;
}

// Keeps one element (the .mood-visual in index.html) in step with the latest mood.
export class MoodVisual {
    constructor(element) {
        this.element = element;
    }

    update(mood) {
        if (!mood) return;
        const look = mood_appearance(mood);
        const style = this.element.style;
        style.setProperty('--mood-hue', look.hue.toFixed(1));
        style.setProperty('--mood-saturation', `${look.saturation.toFixed(1)}%`);
        style.setProperty('--mood-pulse', `${look.pulse_seconds.toFixed(2)}s`);
        style.setProperty('--mood-scale', look.scale.toFixed(3));
        const description = mood_description(mood);
        this.element.setAttribute('aria-label', `Mood: ${description}`);
        this.element.dataset.label = description;
    }

    // Back to the neutral shape, with no mood known.
    clear() {
        for (const name of ['--mood-hue', '--mood-saturation', '--mood-pulse', '--mood-scale']) {
            this.element.style.removeProperty(name);
        }
        this.element.setAttribute('aria-label', 'Mood: not known yet');
        delete this.element.dataset.label;
    }
}
