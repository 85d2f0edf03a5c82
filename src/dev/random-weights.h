// Internal to os1_dev: seeded random numbers for model weights. Counter-based: value i of a
// stream depends only on the stream's key and i, so slices can be filled on any thread in any
// order and the result never depends on how the work was split.
#pragma once

#include <cstddef>
#include <cstdint>

namespace os1::dev::detail {

// The key of stream number `stream` (one per tensor) for a model seed.
uint64_t stream_key(uint64_t seed, uint64_t stream);

// Writes values [first, first + count) of stream `key`: approximately normal, mean 0,
// standard deviation `stddev` (a sum of four uniforms, so bounded by 3.46 stddev).
void fill_normal(uint64_t key, uint64_t first, float stddev, float* out, size_t count);

}  // namespace os1::dev::detail
