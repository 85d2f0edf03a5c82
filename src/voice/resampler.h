// Converting audio from a file or a device to the pipeline's format (16 kHz mono, 16-bit):
// channels are mixed down to mono first (cheaper than resampling each), then libsamplerate
// changes the rate. Resampler converts a stream chunk by chunk, keeping the filter's state
// between chunks (the live microphone delivers 44.1 or 48 kHz float stereo in pieces);
// resample_to_clip() converts a whole recording at once. Samples beyond [-1, 1] are clipped.
// Thread-safety: a Resampler is used by one thread; resample_to_clip() is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/error.h"
#include "voice/audio-clip.h"

namespace os1::voice {

class Resampler {
public:
    // A converter from `input_rate` Hz with `channels` interleaved channels. InvalidInput for a
    // rate outside 1 Hz to 768 kHz or a channel count outside 1 to 64.
    static ErrorOr<std::unique_ptr<Resampler>> create(int input_rate, int channels);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    // Converts the next chunk of interleaved samples in [-1, 1] (any number of whole frames)
    // and appends what is ready to `out`. The filter holds back a few milliseconds, which
    // flush() releases at the end of the stream.
    ErrorOr<void> push(std::span<const float> interleaved, std::vector<Sample>& out);
    // Ends the stream: appends what the filter held back. The resampler can then start a new one.
    ErrorOr<void> flush(std::vector<Sample>& out);

    int input_rate() const { return m_input_rate; }
    int channels() const { return m_channels; }

    struct State;

private:
    Resampler(int input_rate, int channels, std::unique_ptr<State> state);
    ErrorOr<void> convert(std::span<const float> mono, bool end_of_input, std::vector<Sample>& out);

    int m_input_rate;
    int m_channels;
    std::unique_ptr<State> m_state;
    // Frames taken and samples given in this stream, so that flush() ends it at exactly
    // input × 16000 / rate samples.
    uint64_t m_frames_in = 0;
    uint64_t m_samples_out = 0;
    std::vector<float> m_mono;
    std::vector<float> m_converted;
};

// A whole recording of interleaved samples in [-1, 1] at `input_rate`, as a clip.
ErrorOr<AudioClip> resample_to_clip(std::span<const float> interleaved, int input_rate, int channels);

// A sample in [-1, 1] as 16-bit, clipped.
Sample to_sample(float value);

}  // namespace os1::voice
