#include "voice/flite-synthesizer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <string>

extern "C" {
#include <flite/cst_cg.h>
#include <flite/flite.h>
cst_voice* register_cmu_us_slt(const char* voxdir);
}

namespace os1::voice {

namespace {

// flite's globals (the voice, its features, the lexicon's caches) are guarded by this lock.
std::mutex& flite_mutex() {
    static std::mutex mutex;
    return mutex;
}

struct FliteVoice {
    cst_voice* voice = nullptr;
    float base_f0_mean = 0;  // the voice's own target mean F0, in Hz
};

// Under flite_mutex().
FliteVoice* registered_voice() {
    static FliteVoice voice = [] {
        FliteVoice result;
        flite_init();
        result.voice = register_cmu_us_slt(nullptr);
        if (!result.voice)
            return result;
        // slt is a clustergen voice: its own mean F0 is the model's, which int_f0_target_mean
        // (when set) replaces. Without the model's value, flite's own default of 100 Hz would
        // drop her voice by an octave.
        result.base_f0_mean = get_param_float(result.voice->features, "int_f0_target_mean", 0.0f);
        if (result.base_f0_mean <= 0 && feat_present(result.voice->features, "cg_db"))
            result.base_f0_mean = val_cg_db(feat_val(result.voice->features, "cg_db"))->f0_mean;
        return result;
    }();
    return voice.voice ? &voice : nullptr;
}

struct WaveDeleter {
    void operator()(cst_wave* wave) const { delete_wave(wave); }
};

bool has_something_to_say(std::string_view text) {
    // flite speaks letters and digits (and spells symbols such as "%" or "$" only beside them);
    // text of punctuation and spaces alone has nothing to say. Bytes of multi-byte characters
    // count as something: flite decides what it can say of them.
    return std::any_of(text.begin(), text.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return std::isalnum(byte) || byte >= 0x80;
    });
}

// Linear interpolation: flite's slt is 16 kHz already, so this only serves another voice or
// build; quality is enough for speech.
std::vector<Sample> resample_linear(const short* samples, size_t count, int from_rate) {
    if (count == 0)
        return {};
    size_t out_count = static_cast<size_t>(static_cast<double>(count) * k_sample_rate / from_rate);
    std::vector<Sample> out(out_count);
    double step = static_cast<double>(from_rate) / k_sample_rate;
    for (size_t i = 0; i < out_count; i++) {
        double position = static_cast<double>(i) * step;
        size_t left = std::min(static_cast<size_t>(position), count - 1);
        size_t right = std::min(left + 1, count - 1);
        double fraction = position - static_cast<double>(left);
        out[i] = static_cast<Sample>(std::lround(samples[left] * (1 - fraction) + samples[right] * fraction));
    }
    return out;
}

}  // namespace

ErrorOr<std::unique_ptr<FliteSynthesizer>> FliteSynthesizer::create() {
    std::lock_guard lock(flite_mutex());
    if (!registered_voice())
        return make_error(ErrorKind::Unavailable, "flite: the voice cmu_us_slt could not be registered");
    return std::unique_ptr<FliteSynthesizer>(new FliteSynthesizer());
}

ErrorOr<AudioClip> FliteSynthesizer::synthesize(std::string_view text, const affect::ProsodyHints& prosody) {
    AudioClip clip;
    OS1_TRY(synthesize_streaming(text, prosody, [&](std::span<const Sample> audio) {
        clip.samples.insert(clip.samples.end(), audio.begin(), audio.end());
        return true;
    }));
    return clip;
}

namespace {

// What flite's streaming callback needs; flite hands it back through the info's userdata.
struct Stream {
    const SpeechSynthesizer::AudioSink* on_audio = nullptr;
    double volume = 1;
    bool stopped = false;
    std::vector<short> mono;
    std::vector<Sample> out;
};

int on_flite_audio(const cst_wave* wave, int start, int size, int /*last*/, cst_audio_streaming_info* info) {
    auto& stream = *static_cast<Stream*>(info->userdata);
    const int channels = std::max(1, wave->num_channels);
    stream.mono.resize(static_cast<size_t>(std::max(0, size)));
    for (size_t i = 0; i < stream.mono.size(); i++)
        stream.mono[i] = wave->samples[(static_cast<size_t>(start) + i) * static_cast<size_t>(channels)];
    // Each piece on its own: slt is 16 kHz already, so this serves only another voice or build.
    if (wave->sample_rate == k_sample_rate)
        stream.out.assign(stream.mono.begin(), stream.mono.end());
    else
        stream.out = resample_linear(stream.mono.data(), stream.mono.size(), wave->sample_rate);
    if (stream.volume != 1.0) {
        for (Sample& sample : stream.out)
            sample = static_cast<Sample>(std::clamp(std::lround(sample * stream.volume), -32768L, 32767L));
    }
    if (!stream.out.empty() && !(*stream.on_audio)(stream.out)) {
        stream.stopped = true;
        return CST_AUDIO_STREAM_STOP;
    }
    return CST_AUDIO_STREAM_CONT;
}

// Sets the streaming callback on the voice while it lives (flite's voice is shared: the
// caller holds flite_mutex()).
class StreamingScope {
public:
    StreamingScope(cst_voice* voice, Stream& stream) : m_voice(voice) {
        cst_audio_streaming_info* info = new_audio_streaming_info();
        info->asc = &on_flite_audio;
        info->min_buffsize = k_frame_samples * 2;
        info->userdata = &stream;
        feat_set(m_voice->features, "streaming_info", audio_streaming_info_val(info));  // flite owns it
    }
    ~StreamingScope() { feat_remove(m_voice->features, "streaming_info"); }
    StreamingScope(const StreamingScope&) = delete;
    StreamingScope& operator=(const StreamingScope&) = delete;

private:
    cst_voice* m_voice;
};

}  // namespace

ErrorOr<void> FliteSynthesizer::synthesize_streaming(std::string_view text, const affect::ProsodyHints& prosody,
                                                     const AudioSink& on_audio) {
    if (!has_something_to_say(text))
        return {};
    // The prosody is clamped to what affect::prosody_hints promises, so a wild value cannot
    // make flite stall on a huge stretch or squeal.
    double rate = std::clamp(prosody.rate, 0.5, 2.0);
    double semitones = std::clamp(prosody.pitch_semitones, -12.0, 12.0);
    Stream stream;
    stream.on_audio = &on_audio;
    stream.volume = std::clamp(prosody.volume, 0.0, 4.0);
    std::string owned_text(text);  // flite wants a terminated string

    std::lock_guard lock(flite_mutex());
    FliteVoice* voice = registered_voice();
    if (!voice)
        return make_error(ErrorKind::Unavailable, "flite: the voice cmu_us_slt is not registered");
    feat_set_float(voice->voice->features, "duration_stretch", static_cast<float>(1.0 / rate));
    if (voice->base_f0_mean > 0)
        feat_set_float(voice->voice->features, "int_f0_target_mean",
                       static_cast<float>(voice->base_f0_mean * std::pow(2.0, semitones / 12.0)));
    // The voice draws the noise that excites unvoiced sounds from the C library's rand(),
    // whose state any earlier synthesis (or other code) has moved on. Seeded, a clause's audio
    // depends only on its text and prosody: the same reply sounds, and echoes, the same every
    // time, streamed or not.
    std::srand(1);
    StreamingScope streaming(voice->voice, stream);
    // The wave is made as well; the pieces were handed over as it grew.
    std::unique_ptr<cst_wave, WaveDeleter> wave(flite_text_to_wave(owned_text.c_str(), voice->voice));
    if (!wave && !stream.stopped)
        return make_error(ErrorKind::Internal, "flite: synthesis failed");
    return {};
}

}  // namespace os1::voice
