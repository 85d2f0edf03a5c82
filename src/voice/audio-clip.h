// Audio as the voice pipeline handles it inside: mono, 16-bit samples at 16 kHz, processed in
// frames of 10 ms. Files and devices at other rates or channel counts are converted at the edge
// (wav-file.h, audio-device.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace os1::voice {

inline constexpr int k_sample_rate = 16000;
inline constexpr int k_frame_samples = k_sample_rate / 100;  // 10 ms

using Sample = int16_t;
using Frame = std::span<const Sample, k_frame_samples>;

struct AudioClip {
    std::vector<Sample> samples;  // mono, k_sample_rate

    std::chrono::milliseconds duration() const {
        return std::chrono::milliseconds{static_cast<int64_t>(samples.size()) * 1000 / k_sample_rate};
    }
};

inline constexpr size_t samples_for(std::chrono::milliseconds duration) {
    return static_cast<size_t>(duration.count()) * k_sample_rate / 1000;
}

}  // namespace os1::voice
