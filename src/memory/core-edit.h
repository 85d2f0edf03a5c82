// Internal to the memory module: validating and applying the core block edits that the model
// proposes in its extraction output (the "core" array of fact_grammar).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memory/memory.h"
#include "memory/model-output-checks.h"

namespace os1::memory::detail {

// Applies the valid edits of `edits` to the core blocks, inside the caller's transaction, and
// records them in result.core_edits; each invalid one gets a reason in result.rejected.
// `source_turns` are the turns given to the extraction; edits may only cite those.
ErrorOr<void> apply_core_edits(MemoryStore& store, const nlohmann::json& edits,
                               const std::vector<std::string>& source_turns, const PromptCopyCheck& prompt,
                               ExtractionResult& result);

}  // namespace os1::memory::detail
