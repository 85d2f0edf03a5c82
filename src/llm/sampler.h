// Builds the llama.cpp sampler chain for one reply.
#pragma once

#include <string>

#include "core/error.h"
#include "core/handles.h"
#include "llm/llm.h"

namespace os1::llm {

// The grammar (if any), top-64, repetition penalty, then greedy when temperature <= 0, else
// top-p, min-p, temperature and a seeded draw. Fails when the grammar does not parse.
ErrorOr<LlamaSamplerPtr> make_sampler(const llama_vocab* vocab, const SamplingParams& params,
                                      const std::string& grammar);

}  // namespace os1::llm
