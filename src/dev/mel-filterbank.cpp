#include "dev/mel-filterbank.h"

#include <algorithm>
#include <cmath>

namespace os1::dev::detail {

namespace {

// Slaney's scale: 3 mels per 200 Hz up to 1 kHz (15 mels), then 27 mels per factor 6.4.
constexpr double linear_hz_per_mel = 200.0 / 3.0;
constexpr double break_hz = 1000.0;
constexpr double break_mel = break_hz / linear_hz_per_mel;
const double log_step = std::log(6.4) / 27.0;

double hz_to_mel(double hz) {
    if (hz < break_hz)
        return hz / linear_hz_per_mel;
    return break_mel + std::log(hz / break_hz) / log_step;
}

double mel_to_hz(double mel) {
    if (mel < break_mel)
        return mel * linear_hz_per_mel;
    return break_hz * std::exp(log_step * (mel - break_mel));
}

}  // namespace

std::vector<float> slaney_mel_filterbank(int32_t sample_rate, int32_t n_fft, int32_t n_mels) {
    const size_t n_bins = size_t(n_fft / 2 + 1);
    std::vector<double> bin_hz(n_bins);
    for (size_t k = 0; k < n_bins; ++k)
        bin_hz[k] = double(k) * sample_rate / n_fft;

    // n_mels + 2 edges evenly spaced in mels from 0 Hz to Nyquist; filter i rises from edge i to
    // edge i + 1 and falls to edge i + 2. Spaced as numpy.linspace spaces them, last one exact.
    const double top_mel = hz_to_mel(sample_rate / 2.0);
    const size_t n_edges = size_t(n_mels) + 2;
    const double mel_step = top_mel / double(n_edges - 1);
    std::vector<double> edge_hz(n_edges);
    for (size_t i = 0; i < n_edges; ++i)
        edge_hz[i] = mel_to_hz(i == n_edges - 1 ? top_mel : double(i) * mel_step);

    std::vector<float> weights(size_t(n_mels) * n_bins);
    for (size_t i = 0; i < size_t(n_mels); ++i) {
        const double left = edge_hz[i];
        const double centre = edge_hz[i + 1];
        const double right = edge_hz[i + 2];
        const double area_norm = 2.0 / (right - left);
        float* row = weights.data() + i * n_bins;
        for (size_t k = 0; k < n_bins; ++k) {
            const double rising = (bin_hz[k] - left) / (centre - left);
            const double falling = (right - bin_hz[k]) / (right - centre);
            // librosa stores the triangle in a float32 array, then scales that array in place.
            const float triangle = float(std::max(0.0, std::min(rising, falling)));
            row[k] = float(double(triangle) * area_norm);
        }
    }
    return weights;
}

}  // namespace os1::dev::detail
