// UTF-8 helpers for streaming: tokens can end in the middle of a multi-byte character, so
// pieces are buffered until they form complete characters.
#pragma once

#include <string>
#include <string_view>

namespace os1 {

// Length of the longest prefix of `bytes` that ends on a character boundary, assuming the
// rest may still be completed by later bytes. Invalid sequences count as complete (they are
// replaced when taken), so a stream never stalls on garbage.
size_t complete_utf8_prefix(std::string_view bytes);

// True when `text` is entirely valid UTF-8.
bool is_valid_utf8(std::string_view text);

// At most `limit` bytes of `text`, cut at a character boundary; `ellipsis` is appended when
// anything was cut (it does not count against the limit).
std::string clip_utf8(std::string_view text, size_t limit, std::string_view ellipsis = "");

// Replaces each invalid byte with U+FFFD.
std::string sanitize_utf8(std::string_view text);

// Accumulates raw token bytes and releases only complete, valid UTF-8.
class Utf8Buffer {
public:
    // Appends bytes; returns the text that is now complete (possibly empty).
    std::string push(std::string_view bytes);
    // Returns whatever is left at the end of the stream, with incomplete bytes replaced.
    std::string flush();

private:
    std::string m_pending;
};

}  // namespace os1
