// Memories as JSON, the one shape that every front end shows them in (`os1 memory show|list
// --json`, `os1 memory export`, the server's memory API). Thread-safe.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "memory/memory.h"

namespace os1::memory {

// One memory: id, kind, text, time, importance, and what its kind adds (the episode's speaker,
// the fact's validity, the reflection's sources), with its source turns.
nlohmann::ordered_json memory_json(const Memory& memory);

// Every memory (oldest first, with reflection sources) and the core blocks, for `user`.
ErrorOr<nlohmann::ordered_json> export_json(MemoryStore& store, std::string_view user);

}  // namespace os1::memory
