#include "voice/noise-mix.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace os1::voice {

namespace {

constexpr double k_silence_dbfs = -120;
constexpr double k_active_range_db = 30;

double power_dbfs(double mean_square) {
    return mean_square > 0 ? std::max(k_silence_dbfs, 10 * std::log10(mean_square)) : k_silence_dbfs;
}

double mean_square(std::span<const Sample> samples) {
    double sum = 0;
    for (Sample sample : samples) {
        const double value = sample / 32768.0;
        sum += value * value;
    }
    return samples.empty() ? 0 : sum / static_cast<double>(samples.size());
}

}  // namespace

double active_level_dbfs(const AudioClip& clip) {
    std::vector<double> frames;
    const std::span<const Sample> all = clip.samples;
    for (size_t at = 0; at + k_frame_samples <= all.size(); at += k_frame_samples)
        frames.push_back(mean_square(all.subspan(at, k_frame_samples)));
    if (frames.empty())
        return power_dbfs(mean_square(all));
    const double loudest = power_dbfs(*std::max_element(frames.begin(), frames.end()));
    double sum = 0;
    size_t active = 0;
    for (double frame : frames) {
        if (power_dbfs(frame) < loudest - k_active_range_db)
            continue;
        sum += frame;
        ++active;
    }
    return active ? power_dbfs(sum / static_cast<double>(active)) : k_silence_dbfs;
}

AudioClip mix_at_snr(const AudioClip& speech, const AudioClip& noise, double snr_db) {
    AudioClip mixed = speech;
    const double noise_level = power_dbfs(mean_square(noise.samples));
    if (noise.samples.empty() || noise_level <= k_silence_dbfs)
        return mixed;
    const double wanted = active_level_dbfs(speech) - snr_db;
    const double gain = std::pow(10.0, (wanted - noise_level) / 20.0);
    for (size_t i = 0; i < mixed.samples.size(); ++i) {
        const double sum = mixed.samples[i] + gain * noise.samples[i % noise.samples.size()];
        mixed.samples[i] = static_cast<Sample>(std::clamp(std::round(sum), -32768.0, 32767.0));
    }
    return mixed;
}

}  // namespace os1::voice
