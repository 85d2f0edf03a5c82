// A spoken conversation with the server (GET /api/voice, a WebSocket; the protocol is described
// in src/server/voice-channel.h): the microphone streams to the server as 16 kHz 16-bit PCM in
// 20 ms chunks, and the companion's voice comes back the same way, played through an
// AudioWorklet (voice-worklet.js) with a small jitter buffer.
//
// Push-to-talk sends the microphone only while `talking` is set, and silence (zeros) at the same
// pace otherwise, so that the server hears the end of speech and keeps its clock running.
// Hands-free always sends the microphone, with the browser's echo cancelling and noise
// suppression on.
//
// After each chunk of microphone, the page tells the server how far the speaker had got with
// the companion's voice when the chunk was captured, so that a reply cut short is stored with
// what was heard, not with what sat in the jitter buffer; when the server pauses the voice for a
// possible interruption, the buffer drops what it holds.
//
// Events: on_event(message) for each JSON event of the server; on_counters({sent, received,
// voiced, played}) as audio moves (16 kHz samples; `voiced` counts received samples in chunks
// that were not silence; `played` counts those the speaker took, dropped ones included);
// on_end(message) once, when the session ended (message is empty when it was asked to end).

export class VoiceError extends Error {
    constructor(message) {
        super(message);
        this.name = 'VoiceError';
    }
}

// Words for what went wrong with the microphone, saying what to do next.
function microphone_error(error) {
    switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
        return 'The browser did not allow the microphone. Allow it for this site (usually from the icon in the ' +
            'address bar), then press Start voice again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
        return 'No microphone was found. Connect one and press Start voice again, or type instead.';
    case 'NotReadableError':
    case 'AbortError':
        return 'The microphone is in use by another program or could not be opened. Close that program, then ' +
            'press Start voice again.';
    default:
        return `The microphone could not be opened (${error?.message ?? 'unknown error'}). Type instead, or try ` +
            'again.';
    }
}

export class VoiceSession {
    constructor({conversation = null, hands_free = false, on_event = () => {}, on_counters = () => {},
                 on_end = () => {}} = {}) {
        this.conversation = conversation;
        this.hands_free = hands_free;
        this.talking = false;
        this.on_event = on_event;
        this.on_counters = on_counters;
        this.on_end = on_end;
        this.counters = {sent: 0, received: 0, voiced: 0, played: 0};
        this.socket = null;
        this.context = null;
        this.stream = null;
        this.node = null;
        this.ready = false;
        this.ended = false;
    }

    // Connects, waits until the server listens, then opens the microphone. Rejects with a
    // VoiceError that says what to do.
    async start() {
        if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
            throw new VoiceError('The browser allows the microphone only on a secure page: open os1 through ' +
                'https:// or on this computer through http://127.0.0.1 or http://localhost.');
        }
        // Made at once, in the click that started the session, so that the browser lets it play;
        // at 16 kHz when the browser can, so that nothing is resampled by hand.
        try {
            this.context = new AudioContext({sampleRate: 16000, latencyHint: 'interactive'});
        } catch {
            this.context = new AudioContext({latencyHint: 'interactive'});  // resampled in the worklet
        }
        await this.context.audioWorklet.addModule('/js/voice-worklet.js');
        await this.connect();
        try {
            this.stream = await navigator.mediaDevices.getUserMedia({
                audio: {echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1},
            });
        } catch (error) {
            this.stop();
            throw new VoiceError(microphone_error(error));
        }
        if (this.ended) throw new VoiceError('The voice session ended before the microphone opened.');
        const source = this.context.createMediaStreamSource(this.stream);
        this.node = new AudioWorkletNode(this.context, 'os1-voice', {
            numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], channelCount: 1, channelCountMode: 'explicit',
        });
        this.node.port.onmessage = (event) => this.from_worklet(event.data);
        source.connect(this.node);
        this.node.connect(this.context.destination);
        await this.context.resume();
    }

    // Resolves once the server says it listens; rejects with the server's reason otherwise.
    connect() {
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        const query = this.conversation === null || this.conversation === undefined ? '' :
            `?conversation=${encodeURIComponent(String(this.conversation))}`;
        const socket = new WebSocket(`${scheme}//${location.host}/api/voice${query}`);
        socket.binaryType = 'arraybuffer';
        this.socket = socket;
        return new Promise((resolve, reject) => {
            let refused = '';
            socket.onmessage = (event) => {
                if (typeof event.data !== 'string') {
                    this.from_server(event.data);
                    return;
                }
                let message;
                try {
                    message = JSON.parse(event.data);
                } catch {
                    return;
                }
                if (!message || typeof message !== 'object') return;
                if (message.type === 'ready') {
                    this.ready = true;
                    resolve();
                } else if (message.type === 'clear') {
                    this.node?.port.postMessage({type: 'clear', until: Number(message.until)});
                } else if (message.type === 'error' && !this.ready) {
                    refused = String(message.message ?? '');
                }
                this.on_event(message);
            };
            socket.onclose = (event) => {
                const was_ready = this.ready;
                const reason = refused || event.reason;
                this.finish(reason ? `The voice session ended: ${reason}.` :
                    was_ready || this.ended ? 'The voice connection was lost. Press Start voice to talk again.' : '');
                if (!was_ready) {
                    reject(new VoiceError(reason ? `The server refused the voice session: ${reason}.` :
                        'The server refused the voice session. Reload the page (you may need to log in again), ' +
                            'then press Start voice.'));
                }
            };
        });
    }

    from_worklet(data) {
        if (data?.type === 'played') {
            this.counters.played = data.played;
            this.on_counters(this.counters);
            return;
        }
        if (data?.type !== 'mic' || !this.ready || this.socket?.readyState !== WebSocket.OPEN) return;
        const samples = this.hands_free || this.talking ? data.samples : new Int16Array(data.samples.length);
        // Little-endian on the wire, whatever this machine's order.
        const bytes = new DataView(new ArrayBuffer(samples.length * 2));
        for (let i = 0; i < samples.length; i += 1) bytes.setInt16(2 * i, samples[i], true);
        this.socket.send(bytes.buffer);
        this.socket.send(JSON.stringify({type: 'heard', position: data.heard}));
        this.counters.sent += samples.length;
        this.on_counters(this.counters);
    }

    from_server(buffer) {
        const view = new DataView(buffer);
        const samples = new Int16Array(Math.floor(buffer.byteLength / 2));
        let voiced = false;
        for (let i = 0; i < samples.length; i += 1) {
            samples[i] = view.getInt16(2 * i, true);
            voiced = voiced || samples[i] !== 0;
        }
        this.counters.received += samples.length;
        if (voiced) this.counters.voiced += samples.length;
        this.node?.port.postMessage({type: 'play', samples}, [samples.buffer]);
        this.on_counters(this.counters);
    }

    // A barge-in in push-to-talk: the reply stops being played as soon as the server hears it;
    // nothing is dropped here, since what was queued is the server's to cut.
    set_talking(talking) {
        this.talking = Boolean(talking);
    }

    set_hands_free(hands_free) {
        this.hands_free = Boolean(hands_free);
    }

    // Ends the session: the server stores what was said aloud, and the microphone is released.
    stop() {
        this.ended = true;
        if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, 'ended by the user');
        this.finish('');
    }

    finish(message) {
        if (this.released) return;
        this.released = true;
        this.ended = true;
        for (const track of this.stream?.getTracks() ?? []) track.stop();
        this.node?.disconnect();
        this.context?.close().catch(() => {});
        this.on_end(message);
    }
}
