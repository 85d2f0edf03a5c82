// The audio side of a voice session, on the audio thread: one node whose input is the
// microphone and whose output is the companion's voice. Both sides are 16 kHz for the server;
// the AudioContext usually runs at 16 kHz too (then nothing is resampled), and otherwise the
// microphone is averaged down and the voice interpolated up.
//
// The voice is counted as one stream from the session's start: `played` is how many of its
// samples the speaker has taken (played, or dropped: by a clear, or when too much is queued).
//
// To the page: {type: 'mic', samples: Int16Array, heard} every 20 ms of microphone, where
// `heard` is `played` as the chunk's last sample was captured, and {type: 'played', played,
// buffered} now and then. From the page: {type: 'play', samples: Int16Array} to queue, and
// {type: 'clear', until} to drop what is queued of the stream's first `until` samples.
const rate = 16000;
const chunk_samples = 320;               // 20 ms
const prebuffer = 960;                   // 60 ms of voice before playback starts or restarts
const most_buffered = rate / 2;          // more than this and the oldest is dropped
const capacity = rate * 2;

class VoiceProcessor extends AudioWorkletProcessor {
    constructor() {
        super();
        this.ratio = sampleRate / rate;  // context samples per 16 kHz sample
        this.chunk = new Int16Array(chunk_samples);
        this.filled = 0;
        this.sum = 0;
        this.count = 0;
        this.until = this.ratio;
        this.position = 0;
        this.ring = new Float32Array(capacity);
        this.read = 0;       // ring index of the next 16 kHz sample to play
        this.size = 0;       // 16 kHz samples queued
        this.playing = false;
        this.phase = 0;      // between ring[read] and ring[read + 1], for interpolation
        this.played = 0;
        this.reported = 0;
        this.port.onmessage = (event) => this.message(event.data);
    }

    message(data) {
        if (data?.type === 'clear') {
            const until = Number(data.until);
            this.drop(Number.isFinite(until) ? Math.min(this.size, Math.max(0, until - this.played)) : this.size);
            this.playing = false;
            return;
        }
        if (data?.type !== 'play' || !(data.samples instanceof Int16Array)) return;
        for (const sample of data.samples) {
            if (this.size === capacity) this.drop(1);
            this.ring[(this.read + this.size) % capacity] = sample / 32768;
            this.size += 1;
        }
        if (this.size > most_buffered) this.drop(this.size - most_buffered);
    }

    // Drops the oldest `count` queued samples; they count as taken.
    drop(count) {
        this.read = (this.read + count) % capacity;
        this.size -= count;
        this.played += count;
        this.phase = 0;
    }

    capture(input) {
        for (let i = 0; i < input.length; i += 1) {
            this.sum += input[i];
            this.count += 1;
            this.position += 1;
            if (this.position < this.until) continue;
            this.until += this.ratio;
            const value = Math.max(-1, Math.min(1, this.sum / this.count));
            this.sum = 0;
            this.count = 0;
            this.chunk[this.filled] = Math.round(value * 32767);
            this.filled += 1;
            if (this.filled === chunk_samples) {
                this.port.postMessage({type: 'mic', samples: this.chunk, heard: this.played});
                this.chunk = new Int16Array(chunk_samples);
                this.filled = 0;
            }
        }
        if (this.position > 1e9) {  // keep the counters exact
            this.position -= 1e9;
            this.until -= 1e9;
        }
    }

    play(output) {
        const step = 1 / this.ratio;  // 16 kHz samples per output sample
        for (let i = 0; i < output.length; i += 1) {
            if (!this.playing && this.size >= prebuffer) this.playing = true;
            if (!this.playing || this.size < 2) {
                this.playing = false;
                output[i] = 0;
                continue;
            }
            const a = this.ring[this.read];
            const b = this.ring[(this.read + 1) % capacity];
            output[i] = a + (b - a) * this.phase;
            this.phase += step;
            while (this.phase >= 1 && this.size > 1) {
                this.phase -= 1;
                this.read = (this.read + 1) % capacity;
                this.size -= 1;
                this.played += 1;
            }
        }
    }

    process(inputs, outputs) {
        const input = inputs[0]?.[0];
        if (input) this.capture(input);
        const output = outputs[0];
        if (output?.[0]) {
            this.play(output[0]);
            for (let channel = 1; channel < output.length; channel += 1) output[channel].set(output[0]);
        }
        if (this.played - this.reported >= rate / 10) {
            this.reported = this.played;
            this.port.postMessage({type: 'played', played: this.played, buffered: this.size});
        }
        return true;
    }
}

registerProcessor('os1-voice', VoiceProcessor);
