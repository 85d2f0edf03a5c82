// Real audio for the voice tests, made at test time: speech by the espeak-ng and flite
// programs, noise by sox, all converted by sox to the pipeline's 16 kHz mono 16-bit samples.
// Plus the small arithmetic the tests need (levels, mixing, where speech starts).
// Thread-safe: no shared state (each call uses a folder of its own).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/subprocess.h"
#include "support/temp-dir.h"
#include "voice/audio-clip.h"

namespace os1::test {

// The samples of a sound file (any rate, any channel count), converted by sox.
inline std::vector<voice::Sample> read_audio_with_sox(const std::filesystem::path& file) {
    std::filesystem::path raw = file;
    raw += ".raw";
    ProcessResult converted = run_process({"sox", file.string(), "-t", "raw", "-r", "16000", "-e", "signed",
                                           "-b", "16", "-c", "1", "-L", raw.string()});
    EXPECT_EQ(converted.exit_code, 0) << converted.err;
    std::ifstream in(raw, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<voice::Sample> samples(bytes.size() / 2);
    for (size_t i = 0; i < samples.size(); i++) {
        auto low = static_cast<uint8_t>(bytes[2 * i]);
        auto high = static_cast<uint8_t>(bytes[2 * i + 1]);
        samples[i] = static_cast<voice::Sample>(static_cast<uint16_t>(low | (high << 8)));
    }
    return samples;
}

// `text` spoken by espeak-ng (a voice other than the companion's flite voice).
inline std::vector<voice::Sample> espeak_speech(const std::string& text, const std::string& voice = "en-us") {
    std::filesystem::path dir = unique_temp_dir("voice-espeak");
    std::filesystem::path wav = dir / "speech.wav";
    ProcessResult spoken = run_process({"espeak-ng", "-v", voice, "-w", wav.string(), text});
    EXPECT_EQ(spoken.exit_code, 0) << spoken.err;
    return read_audio_with_sox(wav);
}

// `text` spoken by the flite program with one of its built-in voices.
inline std::vector<voice::Sample> flite_speech(const std::string& text, const std::string& voice = "rms") {
    std::filesystem::path dir = unique_temp_dir("voice-flite");
    std::filesystem::path wav = dir / "speech.wav";
    ProcessResult spoken = run_process({"flite", "-voice", voice, "-t", text, "-o", wav.string()});
    EXPECT_EQ(spoken.exit_code, 0) << spoken.err;
    return read_audio_with_sox(wav);
}

// Noise from sox: `kind` is whitenoise, pinknoise or brownnoise; `amplitude` of full scale.
inline std::vector<voice::Sample> sox_noise(const std::string& kind, double seconds, double amplitude) {
    std::filesystem::path dir = unique_temp_dir("voice-noise");
    std::filesystem::path wav = dir / "noise.wav";
    ProcessResult made = run_process({"sox", "-n", "-r", "16000", "-c", "1", "-b", "16", wav.string(), "synth",
                                      std::to_string(seconds), kind, "vol", std::to_string(amplitude)});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return read_audio_with_sox(wav);
}

inline double rms_of(const voice::Sample* samples, size_t count) {
    if (count == 0)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += static_cast<double>(samples[i]) * samples[i];
    return std::sqrt(sum / static_cast<double>(count));
}

inline double rms_of(const std::vector<voice::Sample>& samples) { return rms_of(samples.data(), samples.size()); }

// The first sample of the first 10 ms frame louder than `threshold` RMS (where speech starts,
// measured on the clip itself); samples.size() when none is.
inline size_t onset_of(const std::vector<voice::Sample>& samples, double threshold = 300) {
    for (size_t start = 0; start + voice::k_frame_samples <= samples.size(); start += voice::k_frame_samples)
        if (rms_of(samples.data() + start, voice::k_frame_samples) > threshold)
            return start;
    return samples.size();
}

// Adds `clip` scaled by `gain` into `into` from sample `at`, saturating; grows `into` as needed.
inline void mix_into(std::vector<voice::Sample>& into, const std::vector<voice::Sample>& clip, size_t at,
                     double gain = 1.0) {
    if (into.size() < at + clip.size())
        into.resize(at + clip.size(), 0);
    for (size_t i = 0; i < clip.size(); i++) {
        long mixed = std::lround(into[at + i] + clip[i] * gain);
        into[at + i] = static_cast<voice::Sample>(std::clamp(mixed, -32768L, 32767L));
    }
}

}  // namespace os1::test
