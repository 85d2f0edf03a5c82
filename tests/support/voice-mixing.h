// The small arithmetic of the voice tests on real audio (support/voice-audio.h makes it):
// levels, where speech starts, and mixing one sound into another at a time and a gain.
// Thread-safe: no shared state.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "voice/audio-clip.h"

namespace os1::test {

inline double rms_of(const voice::Sample* samples, size_t count) {
    if (count == 0)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += static_cast<double>(samples[i]) * samples[i];
    return std::sqrt(sum / static_cast<double>(count));
}

inline double rms_of(const std::vector<voice::Sample>& samples) {
    return rms_of(samples.data(), samples.size());
}

// The first sample of the first 10 ms frame louder than `threshold` RMS (where speech starts,
// measured on the clip itself); samples.size() when none is.
inline size_t onset_of(const std::vector<voice::Sample>& samples, double threshold = 300) {
    for (size_t start = 0; start + voice::k_frame_samples <= samples.size(); start += voice::k_frame_samples)
        if (rms_of(samples.data() + start, voice::k_frame_samples) > threshold)
            return start;
    return samples.size();
}

// Just after the last 10 ms frame louder than `threshold` RMS (where speech ends); 0 when none is.
inline size_t end_of_sound(const std::vector<voice::Sample>& samples, double threshold = 300) {
    size_t end = 0;
    for (size_t start = 0; start + voice::k_frame_samples <= samples.size(); start += voice::k_frame_samples)
        if (rms_of(samples.data() + start, voice::k_frame_samples) > threshold)
            end = start + voice::k_frame_samples;
    return end;
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
