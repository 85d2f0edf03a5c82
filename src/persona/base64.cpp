#include "persona/base64.h"

#include <array>
#include <cstdint>

namespace os1::persona {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decode_char(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 0)
        return out;
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2)
        v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
    out += '=';
    return out;
}

ErrorOr<std::string> base64_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3);
    uint32_t accumulator = 0;
    int bits = 0;
    std::size_t symbols = 0;
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            ++padding;
            if (padding > 2)
                return make_error("base64: too much padding at offset " + std::to_string(i));
            continue;
        }
        if (padding > 0)
            return make_error("base64: data after padding at offset " + std::to_string(i));
        const int value = decode_char(c);
        if (value < 0)
            return make_error("base64: invalid character at offset " + std::to_string(i));
        ++symbols;
        accumulator = (accumulator << 6) | uint32_t(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((accumulator >> bits) & 0xFF);
        }
    }
    if (symbols % 4 == 1)
        return make_error("base64: truncated input (" + std::to_string(symbols) + " symbols)");
    if (padding > 0 && (symbols + padding) % 4 != 0)
        return make_error("base64: wrong amount of padding");
    return out;
}

}  // namespace os1::persona
