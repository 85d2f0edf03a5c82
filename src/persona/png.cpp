#include "persona/png.h"

#include <array>

namespace os1::persona::png {

namespace {

constexpr std::size_t max_chunk_bytes = 64 * 1024 * 1024;

const std::array<uint32_t, 256>& crc_table() {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t n = 0; n < 256; ++n) {
            uint32_t c = n;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    return table;
}

uint32_t read_be32(std::string_view bytes, std::size_t at) {
    return uint32_t(uint8_t(bytes[at])) << 24 | uint32_t(uint8_t(bytes[at + 1])) << 16 |
           uint32_t(uint8_t(bytes[at + 2])) << 8 | uint32_t(uint8_t(bytes[at + 3]));
}

void append_be32(std::string& out, uint32_t v) {
    out += char(v >> 24);
    out += char(v >> 16);
    out += char(v >> 8);
    out += char(v);
}

uint32_t adler32(std::string_view bytes) {
    uint32_t a = 1, b = 0;
    for (char c : bytes) {
        a = (a + uint8_t(c)) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

bool is_chunk_type(std::string_view type) {
    for (char c : type) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    }
    return true;
}

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t crc) {
    crc = ~crc;
    for (char c : bytes)
        crc = crc_table()[(crc ^ uint8_t(c)) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

ErrorOr<std::vector<Chunk>> read_chunks(std::string_view png, std::string_view origin) {
    const std::string where(origin);
    if (png.substr(0, signature.size()) != signature)
        return make_error(where + ": not a PNG file (bad signature)");
    std::vector<Chunk> chunks;
    std::size_t at = signature.size();
    while (true) {
        if (png.size() - at < 12)
            return make_error(where + ": truncated PNG at byte " + std::to_string(at) + " (no IEND chunk)");
        const uint32_t length = read_be32(png, at);
        const std::string_view type = png.substr(at + 4, 4);
        if (!is_chunk_type(type))
            return make_error(where + ": invalid chunk type at byte " + std::to_string(at + 4));
        if (length > max_chunk_bytes || png.size() - at - 12 < length)
            return make_error(where + ": chunk " + std::string(type) + " at byte " + std::to_string(at) + " claims " +
                              std::to_string(length) + " bytes, past the end of the file");
        const std::string_view data = png.substr(at + 8, length);
        const uint32_t stored = read_be32(png, at + 8 + length);
        if (crc32(png.substr(at + 4, 4 + length)) != stored)
            return make_error(where + ": CRC mismatch in chunk " + std::string(type) + " at byte " +
                              std::to_string(at));
        chunks.push_back(Chunk{std::string(type), std::string(data)});
        at += 12 + length;
        if (type == "IEND")
            break;
    }
    if (chunks.front().type != "IHDR")
        return make_error(where + ": the first chunk is " + chunks.front().type + ", not IHDR");
    return chunks;
}

std::string write_chunks(const std::vector<Chunk>& chunks) {
    std::string out(signature);
    for (const Chunk& chunk : chunks) {
        append_be32(out, uint32_t(chunk.data.size()));
        const std::string body = chunk.type + chunk.data;
        out += body;
        append_be32(out, crc32(body));
    }
    return out;
}

std::optional<std::string> find_text(const std::vector<Chunk>& chunks, std::string_view keyword) {
    for (const Chunk& chunk : chunks) {
        if (chunk.type != "tEXt")
            continue;
        const std::size_t nul = chunk.data.find('\0');
        if (nul == std::string::npos || std::string_view(chunk.data).substr(0, nul) != keyword)
            continue;
        return chunk.data.substr(nul + 1);
    }
    return std::nullopt;
}

void set_text(std::vector<Chunk>& chunks, std::string_view keyword, std::string_view text) {
    std::vector<Chunk> kept;
    kept.reserve(chunks.size() + 1);
    for (Chunk& chunk : chunks) {
        if (chunk.type == "tEXt") {
            const std::size_t nul = chunk.data.find('\0');
            if (nul != std::string::npos && std::string_view(chunk.data).substr(0, nul) == keyword)
                continue;
        }
        if (chunk.type == "IEND") {
            std::string data(keyword);
            data += '\0';
            data += text;
            kept.push_back(Chunk{"tEXt", std::move(data)});
        }
        kept.push_back(std::move(chunk));
    }
    chunks = std::move(kept);
}

std::string minimal_png() {
    std::string ihdr;
    append_be32(ihdr, 1);          // width
    append_be32(ihdr, 1);          // height
    ihdr += char(8);               // bit depth
    ihdr += char(0);               // greyscale
    ihdr += std::string(3, '\0');  // compression, filter, interlace
    // One scanline (filter 0, one grey pixel) in a zlib stream with a single stored block.
    const std::string raw("\x00\x80", 2);
    std::string zlib("\x78\x01", 2);
    zlib += char(1);  // final stored block
    zlib += char(raw.size());
    zlib += char(0);
    zlib += char(~raw.size() & 0xFF);
    zlib += char(0xFF);
    zlib += raw;
    append_be32(zlib, adler32(raw));
    return write_chunks({{"IHDR", ihdr}, {"IDAT", zlib}, {"IEND", ""}});
}

}  // namespace os1::persona::png
