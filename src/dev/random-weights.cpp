#include "dev/random-weights.h"

namespace os1::dev::detail {

namespace {

constexpr uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;

// SplitMix64's output function: a bijective mix with good avalanche.
inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

uint64_t stream_key(uint64_t seed, uint64_t stream) {
    return mix64(mix64(seed + golden_gamma) ^ (stream + 1) * golden_gamma);
}

void fill_normal(uint64_t key, uint64_t first, float stddev, float* out, size_t count) {
    // Four 16-bit uniforms summed (Irwin-Hall, n = 4): mean 4 * 32767.5, standard deviation
    // 65536 / sqrt(3).
    constexpr float mean = 4 * 32767.5f;
    const float scale = stddev * (1.7320508f / 65536.0f);
    uint64_t counter = key + first * golden_gamma;
    for (size_t i = 0; i < count; ++i) {
        counter += golden_gamma;
        const uint64_t r = mix64(counter);
        const uint32_t sum = uint32_t(r & 0xFFFF) + uint32_t((r >> 16) & 0xFFFF) +
                             uint32_t((r >> 32) & 0xFFFF) + uint32_t(r >> 48);
        out[i] = (float(sum) - mean) * scale;
    }
}

}  // namespace os1::dev::detail
