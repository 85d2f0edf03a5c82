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
    if (!has_something_to_say(text))
        return AudioClip{};
    // The prosody is clamped to what affect::prosody_hints promises, so a wild value cannot
    // make flite stall on a huge stretch or squeal.
    double rate = std::clamp(prosody.rate, 0.5, 2.0);
    double semitones = std::clamp(prosody.pitch_semitones, -12.0, 12.0);
    double volume = std::clamp(prosody.volume, 0.0, 4.0);
    std::string owned_text(text);  // flite wants a terminated string

    std::unique_ptr<cst_wave, WaveDeleter> wave;
    {
        std::lock_guard lock(flite_mutex());
        FliteVoice* voice = registered_voice();
        if (!voice)
            return make_error(ErrorKind::Unavailable, "flite: the voice cmu_us_slt is not registered");
        feat_set_float(voice->voice->features, "duration_stretch", static_cast<float>(1.0 / rate));
        if (voice->base_f0_mean > 0)
            feat_set_float(voice->voice->features, "int_f0_target_mean",
                           static_cast<float>(voice->base_f0_mean * std::pow(2.0, semitones / 12.0)));
        // The voice draws the noise that excites unvoiced sounds from the C library's rand(),
        // whose state any earlier synthesis (or other code) has moved on. Seeded, a clause's
        // audio depends only on its text and prosody: the same reply sounds, and echoes, the
        // same every time.
        std::srand(1);
        wave.reset(flite_text_to_wave(owned_text.c_str(), voice->voice));
    }
    if (!wave)
        return make_error(ErrorKind::Internal, "flite: synthesis failed");

    AudioClip clip;
    size_t count = static_cast<size_t>(std::max(0, wave->num_samples));
    int channels = std::max(1, wave->num_channels);
    std::vector<short> mono(count);
    for (size_t i = 0; i < count; i++)
        mono[i] = wave->samples[i * static_cast<size_t>(channels)];
    if (wave->sample_rate == k_sample_rate)
        clip.samples.assign(mono.begin(), mono.end());
    else
        clip.samples = resample_linear(mono.data(), mono.size(), wave->sample_rate);
    if (volume != 1.0) {
        for (Sample& sample : clip.samples)
            sample = static_cast<Sample>(std::clamp(std::lround(sample * volume), -32768L, 32767L));
    }
    return clip;
}

}  // namespace os1::voice
