// A minimal PNG chunk reader and writer: enough to find, add and replace tEXt chunks without
// decoding the image. Internal to the persona module (tests include it on purpose).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace os1::persona::png {

inline constexpr std::string_view signature{"\x89PNG\r\n\x1a\n", 8};

struct Chunk {
    std::string type;  // four ASCII letters
    std::string data;
};

uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

// Walks every chunk up to IEND, checking the signature, lengths and CRCs.
ErrorOr<std::vector<Chunk>> read_chunks(std::string_view png, std::string_view origin);
std::string write_chunks(const std::vector<Chunk>& chunks);

// The text of the first tEXt chunk with this keyword, if any.
std::optional<std::string> find_text(const std::vector<Chunk>& chunks, std::string_view keyword);
// Removes tEXt chunks with this keyword and inserts one before IEND.
void set_text(std::vector<Chunk>& chunks, std::string_view keyword, std::string_view text);

// A valid 1x1 grey PNG.
std::string minimal_png();

}  // namespace os1::persona::png
