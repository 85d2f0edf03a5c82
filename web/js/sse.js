// Server-sent events read from a fetch() body. EventSource would parse them for us but can only
// GET, and a chat turn is a POST, so this follows the parsing rules of the HTML standard
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).

export class SseParser {
    #buffer = '';
    #type = '';
    #data = [];
    #started = false;

    // Feeds decoded text; returns the events it completed, each {event, data}.
    push(text) {
        if (!this.#started && text.length > 0) {
            this.#started = true;
            if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        this.#buffer += text;
        return this.#take_lines(false);
    }

    // The stream ended: an event that was never closed by a blank line is dropped, as the
    // standard says; only a CR held back for a possible LF can still close one.
    finish() {
        const events = this.#take_lines(true);
        this.#buffer = '';
        this.#type = '';
        this.#data = [];
        return events;
    }

    #take_lines(at_end) {
        const events = [];
        let start = 0;
        for (let i = 0; i < this.#buffer.length; ++i) {
            const c = this.#buffer[i];
            if (c !== '\n' && c !== '\r') continue;
            // A CR that ends the buffer may be half of a CRLF split across two chunks.
            if (c === '\r' && i + 1 === this.#buffer.length && !at_end) break;
            this.#line(this.#buffer.slice(start, i), events);
            if (c === '\r' && this.#buffer[i + 1] === '\n') ++i;
            start = i + 1;
        }
        this.#buffer = this.#buffer.slice(start);
        return events;
    }

    #line(line, events) {
        if (line === '') {
            if (this.#data.length > 0) events.push({event: this.#type || 'message', data: this.#data.join('\n')});
            this.#type = '';
            this.#data = [];
            return;
        }
        if (line.startsWith(':')) return;  // a comment, often a keep-alive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') this.#type = value;
        else if (field === 'data') this.#data.push(value);
        // `id` and `retry` only matter for reconnecting, which a POST never does.
    }
}

// Yields the events of a fetch() Response as they arrive, until the body ends.
export async function* read_events(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
        for (;;) {
            const {value, done} = await reader.read();
            if (done) break;
            yield* parser.push(decoder.decode(value, {stream: true}));
        }
        yield* parser.push(decoder.decode());
        yield* parser.finish();
    } finally {
        reader.releaseLock();
    }
}
