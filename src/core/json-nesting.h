// A guard for JSON that comes from outside (request bodies, cards, imports): how deeply its
// arrays and objects nest, found by one pass over the bytes before any parser recurses into it,
// so that hostile nesting is refused instead of overflowing the stack. Thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace os1 {

// The deepest any JSON that os1 reads may nest; real documents stay far below it.
inline constexpr size_t k_max_json_nesting = 64;

// True when the arrays and objects in `text` (strings and their escapes skipped) nest no deeper
// than `max_depth`. It does not validate the JSON; the parser does that afterwards.
bool json_nesting_within(std::string_view text, size_t max_depth = k_max_json_nesting);

}  // namespace os1
