#include "voice/resampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <samplerate.h>

namespace os1::voice {

namespace {

constexpr int k_max_rate = 768000;
constexpr int k_max_channels = 64;

struct StateDeleter {
    void operator()(SRC_STATE* state) const { src_delete(state); }
};

}  // namespace

struct Resampler::State {
    std::unique_ptr<SRC_STATE, StateDeleter> src;  // null when the rate is already k_sample_rate
};

Sample to_sample(float value) {
    if (!(value == value))  // NaN: a damaged float file; silence rather than garbage
        return 0;
    const float scaled = std::round(value * 32768.0f);
    return static_cast<Sample>(std::clamp(scaled, -32768.0f, 32767.0f));
}

ErrorOr<std::unique_ptr<Resampler>> Resampler::create(int input_rate, int channels) {
    if (input_rate < 1 || input_rate > k_max_rate)
        return make_error(ErrorKind::InvalidInput,
                          "sample rate " + std::to_string(input_rate) + " Hz is outside 1 Hz to 768 kHz");
    if (channels < 1 || channels > k_max_channels)
        return make_error(ErrorKind::InvalidInput,
                          std::to_string(channels) + " channels is outside 1 to " + std::to_string(k_max_channels));
    auto state = std::make_unique<State>();
    if (input_rate != k_sample_rate) {
        int error = 0;
        // Medium sinc quality: transparent for speech, and fast enough for a 48 kHz stream on
        // one core with plenty to spare.
        state->src.reset(src_new(SRC_SINC_MEDIUM_QUALITY, 1, &error));
        if (!state->src)
            return make_error(std::string("libsamplerate could not start: ") + src_strerror(error));
    }
    return std::unique_ptr<Resampler>(new Resampler(input_rate, channels, std::move(state)));
}

Resampler::Resampler(int input_rate, int channels, std::unique_ptr<State> state)
    : m_input_rate(input_rate), m_channels(channels), m_state(std::move(state)) {}

Resampler::~Resampler() = default;

ErrorOr<void> Resampler::push(std::span<const float> interleaved, std::vector<Sample>& out) {
    const size_t frames = interleaved.size() / static_cast<size_t>(m_channels);
    m_mono.resize(frames);
    if (m_channels == 1) {
        std::copy_n(interleaved.begin(), frames, m_mono.begin());
    } else {
        const float scale = 1.0f / static_cast<float>(m_channels);
        for (size_t frame = 0; frame < frames; ++frame) {
            float sum = 0;
            for (int channel = 0; channel < m_channels; ++channel)
                sum += interleaved[frame * static_cast<size_t>(m_channels) + static_cast<size_t>(channel)];
            m_mono[frame] = sum * scale;
        }
    }
    m_frames_in += frames;
    const size_t before = out.size();
    OS1_TRY(convert(m_mono, false, out));
    m_samples_out += out.size() - before;
    return {};
}

ErrorOr<void> Resampler::flush(std::vector<Sample>& out) {
    // libsamplerate releases what its filter holds when given input past the end, so the stream
    // is padded with silence and cut where it ends.
    const auto expected = static_cast<uint64_t>(
        std::llround(static_cast<double>(m_frames_in) * k_sample_rate / static_cast<double>(m_input_rate)));
    if (m_state->src && m_samples_out < expected) {
        const std::vector<float> padding(static_cast<size_t>(m_input_rate / 10), 0.0f);  // 100 ms
        std::vector<Sample> tail;
        OS1_TRY(convert(padding, true, tail));
        const auto wanted = std::min<uint64_t>(expected - m_samples_out, tail.size());
        out.insert(out.end(), tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(wanted));
        src_reset(m_state->src.get());
    }
    m_frames_in = 0;
    m_samples_out = 0;
    return {};
}

ErrorOr<void> Resampler::convert(std::span<const float> mono, bool end_of_input, std::vector<Sample>& out) {
    if (!m_state->src) {
        out.reserve(out.size() + mono.size());
        for (float value : mono)
            out.push_back(to_sample(value));
        return {};
    }
    const double ratio = static_cast<double>(k_sample_rate) / m_input_rate;
    // Room for this chunk's output and what the filter held back; the loop below takes more
    // passes when that is not enough.
    m_converted.resize(static_cast<size_t>(std::ceil(static_cast<double>(mono.size()) * ratio)) + 1024);
    SRC_DATA data{};
    data.data_in = mono.data();
    data.input_frames = static_cast<long>(mono.size());
    data.src_ratio = ratio;
    data.end_of_input = end_of_input ? 1 : 0;
    for (;;) {
        data.data_out = m_converted.data();
        data.output_frames = static_cast<long>(m_converted.size());
        if (int error = src_process(m_state->src.get(), &data); error != 0)
            return make_error(std::string("libsamplerate failed: ") + src_strerror(error));
        for (long i = 0; i < data.output_frames_gen; ++i)
            out.push_back(to_sample(m_converted[static_cast<size_t>(i)]));
        data.data_in += data.input_frames_used;
        data.input_frames -= data.input_frames_used;
        // Done when all input is taken and, at the end, the filter has nothing left to give.
        if (data.input_frames == 0 && (!end_of_input || data.output_frames_gen == 0))
            return {};
        if (data.input_frames_used == 0 && data.output_frames_gen == 0 && !end_of_input)
            return {};
    }
}

ErrorOr<AudioClip> resample_to_clip(std::span<const float> interleaved, int input_rate, int channels) {
    auto resampler = OS1_TRY(Resampler::create(input_rate, channels));
    AudioClip clip;
    clip.samples.reserve(static_cast<size_t>(static_cast<double>(interleaved.size()) / channels * k_sample_rate /
                                             input_rate) + 16);
    OS1_TRY(resampler->push(interleaved, clip.samples));
    OS1_TRY(resampler->flush(clip.samples));
    return clip;
}

}  // namespace os1::voice
