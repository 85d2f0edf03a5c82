// A stand-in embedder for benchmarks, with no model: each word of the text (normalised, as the
// memory module splits words) adds +1 or -1 to one of `dimension` coordinates chosen by a hash
// (feature hashing), and the sum is scaled to unit length. Its vectors share only the words'
// overlap, so it measures the cost of the dense path, not the quality of a neural model.
#pragma once

#include <memory>

#include "llm/embedder.h"

namespace os1::memory {

std::unique_ptr<llm::Embedder> make_synthetic_embedder(int32_t dimension);

}  // namespace os1::memory
