// Internal helpers of the memory module: text normalisation and storage steps shared by its
// source files. Not part of the public API (memory.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/database.h"
#include "memory/memory.h"

namespace os1::memory {

// Without leading and trailing whitespace.
std::string trim(std::string_view text);
// Lowercase ASCII, every run of ASCII punctuation or whitespace as one space, trimmed; other
// bytes (non-ASCII letters) kept. "Lives_In!" -> "lives in".
std::string normalize(std::string_view text);
// The words of normalize(text).
std::vector<std::string> words(std::string_view text);

// Fails, naming `what`, unless `text` is valid UTF-8, within max_text_bytes and not blank.
ErrorOr<void> check_text(std::string_view what, std::string_view text);

// The kind stored in memories.kind ("episode", "fact", "reflection"); the inverse of to_string.
Kind kind_from_string(std::string_view text);

namespace detail {
// add_fact without its own transaction, for callers that hold one.
ErrorOr<int64_t> add_fact_in(Database& db, const FactInput& fact, const std::vector<std::string>& source_turns);
// Removes the turns of imports whose process died before the import was whole (import-store.cpp).
ErrorOr<void> undo_abandoned_imports(Database& db);
}  // namespace detail

}  // namespace os1::memory
