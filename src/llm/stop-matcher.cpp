#include "llm/stop-matcher.h"

#include <algorithm>

#include "core/utf8.h"

namespace os1::llm {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
    for (std::string& stop : stops) {
        if (stop.empty())
            continue;
        Pattern pattern;
        pattern.text = std::move(stop);
        const std::string& text = pattern.text;
        pattern.fallback.assign(text.size(), 0);
        uint32_t border = 0;
        for (size_t i = 1; i < text.size(); ++i) {
            while (border > 0 && text[i] != text[border])
                border = pattern.fallback[border - 1];
            if (text[i] == text[border])
                ++border;
            pattern.fallback[i] = border;
        }
        m_patterns.push_back(std::move(pattern));
    }
}

StopMatcher::Output StopMatcher::push(std::string_view piece) {
    Output output;
    if (m_stopped)
        return output;
    const size_t base = m_pending.size();
    m_pending.append(piece);
    for (size_t i = 0; i < piece.size(); ++i) {
        const char byte = piece[i];
        size_t completed = 0;  // length of the longest stop string that ends at this byte
        for (Pattern& pattern : m_patterns) {
            size_t& matched = pattern.matched;
            while (matched > 0 && pattern.text[matched] != byte)
                matched = pattern.fallback[matched - 1];
            if (pattern.text[matched] == byte)
                ++matched;
            if (matched == pattern.text.size())
                completed = std::max(completed, matched);
        }
        if (completed > 0) {
            // The stop string lies inside m_pending: a partial match never reaches back past
            // what was emitted, since emission always holds back the longest partial match.
            m_stopped = true;
            output.stopped = true;
            output.text = m_pending.substr(0, base + i + 1 - completed);
            m_pending.clear();
            return output;
        }
    }
    size_t held = 0;
    for (const Pattern& pattern : m_patterns)
        held = std::max(held, pattern.matched);
    // Whole characters only: a piece may end inside a multi-byte character.
    const size_t ready = complete_utf8_prefix(std::string_view(m_pending).substr(0, m_pending.size() - held));
    output.text = m_pending.substr(0, ready);
    m_pending.erase(0, ready);
    return output;
}

std::string StopMatcher::flush() {
    std::string rest = std::move(m_pending);
    m_pending.clear();
    for (Pattern& pattern : m_patterns)
        pattern.matched = 0;
    return rest;
}

}  // namespace os1::llm
