#include "core/utf8.h"

namespace os1 {

namespace {

// Expected length of the sequence that starts with `lead`, or 0 if `lead` cannot start one.
size_t sequence_length(unsigned char lead) {
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

// Whether `second` is allowed after `lead` (excludes overlongs, surrogates, > U+10FFFF).
bool valid_second_byte(unsigned char lead, unsigned char second) {
    if ((second & 0xC0) != 0x80)
        return false;
    if (lead == 0xE0)
        return second >= 0xA0;
    if (lead == 0xED)
        return second <= 0x9F;
    if (lead == 0xF0)
        return second >= 0x90;
    if (lead == 0xF4)
        return second <= 0x8F;
    return true;
}

enum class Sequence { Valid, Incomplete, Invalid };

// Classifies the sequence at `bytes[pos]`; sets `length` to its byte count (1 when invalid).
Sequence classify(std::string_view bytes, size_t pos, size_t& length) {
    auto lead = static_cast<unsigned char>(bytes[pos]);
    size_t expected = sequence_length(lead);
    length = 1;
    if (expected == 0)
        return Sequence::Invalid;
    for (size_t i = 1; i < expected; ++i) {
        if (pos + i >= bytes.size())
            return Sequence::Incomplete;
        auto byte = static_cast<unsigned char>(bytes[pos + i]);
        bool ok = i == 1 ? valid_second_byte(lead, byte) : (byte & 0xC0) == 0x80;
        if (!ok)
            return Sequence::Invalid;
    }
    length = expected;
    return Sequence::Valid;
}

}  // namespace

size_t complete_utf8_prefix(std::string_view bytes) {
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t length = 1;
        if (classify(bytes, pos, length) == Sequence::Incomplete)
            return pos;
        pos += length;
    }
    return pos;
}

bool is_valid_utf8(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t length = 1;
        if (classify(text, pos, length) != Sequence::Valid)
            return false;
        pos += length;
    }
    return true;
}

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        size_t length = 1;
        if (classify(text, pos, length) == Sequence::Valid)
            out.append(text.substr(pos, length));
        else
            out.append("\xEF\xBF\xBD");
        pos += length;
    }
    return out;
}

std::string Utf8Buffer::push(std::string_view bytes) {
    m_pending.append(bytes);
    size_t complete = complete_utf8_prefix(m_pending);
    std::string out = sanitize_utf8(std::string_view(m_pending).substr(0, complete));
    m_pending.erase(0, complete);
    return out;
}

std::string Utf8Buffer::flush() {
    std::string out = sanitize_utf8(m_pending);
    m_pending.clear();
    return out;
}

std::string clip_utf8(std::string_view text, size_t limit, std::string_view ellipsis) {
    if (text.size() <= limit)
        return std::string(text);
    size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return std::string(text.substr(0, end)) + std::string(ellipsis);
}

}  // namespace os1
