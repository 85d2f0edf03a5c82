#include "cli/terminal-text.h"

#include <cstdio>

namespace os1::cli {

namespace {

// The byte count of the valid UTF-8 character at `text[pos]`, or 0 when none starts there.
size_t character_at(std::string_view text, size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (pos + length > text.size() || !is_valid_utf8(text.substr(pos, length)))
        return 0;
    return length;
}

void append_escape(std::string& out, const char* format, unsigned value) {
    char escape[8];
    std::snprintf(escape, sizeof escape, format, value);
    out += escape;
}

}  // namespace

std::string terminal_text(std::string_view text, Newlines newlines) {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const auto byte = static_cast<unsigned char>(text[pos]);
        const size_t length = character_at(text, pos);
        if (length == 0) {
            append_escape(out, "\\x%02x", byte);  // not UTF-8
            ++pos;
            continue;
        }
        if (length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[pos + 1]) < 0xA0) {
            append_escape(out, "\\u%04x", static_cast<unsigned char>(text[pos + 1]));  // a C1 control
            pos += 2;
            continue;
        }
        const bool line_break = newlines == Newlines::Keep &&
                                (byte == '\n' || (byte == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n'));
        if (byte == '\n' && newlines == Newlines::Escape)
            out += "\\n";
        else if ((byte < 0x20 && byte != '\t' && !line_break) || byte == 0x7F)
            append_escape(out, "\\x%02x", byte);
        else
            out.append(text, pos, length);
        pos += length;
    }
    return out;
}

std::string TerminalTextStream::push(std::string_view piece) {
    std::string text = m_held_cr ? "\r" : "";
    text += m_characters.push(piece);
    m_held_cr = !text.empty() && text.back() == '\r';
    if (m_held_cr)
        text.pop_back();
    return terminal_text(text, Newlines::Keep);
}

std::string TerminalTextStream::flush() {
    std::string text = m_held_cr ? "\r" : "";
    m_held_cr = false;
    text += m_characters.flush();
    return terminal_text(text, Newlines::Keep);
}

}  // namespace os1::cli
