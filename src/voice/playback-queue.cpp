#include "voice/playback-queue.h"

#include <algorithm>
#include <cmath>

namespace os1::voice {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t count_words(std::string_view text) {
    size_t count = 0;
    bool in_word = false;
    for (char c : text) {
        if (!is_space(c) && !in_word)
            count++;
        in_word = !is_space(c);
    }
    return count;
}

// The start of `text` up to the end of its `words`-th word, as it stands (spaces and
// punctuation inside kept).
std::string_view first_words(std::string_view text, size_t words) {
    size_t end = 0;
    for (size_t counted = 0; counted < words; counted++) {
        size_t start = end;
        while (start < text.size() && is_space(text[start]))
            start++;
        if (start == text.size())
            break;
        end = start;
        while (end < text.size() && !is_space(text[end]))
            end++;
    }
    return text.substr(0, end);
}

}  // namespace

void PlaybackQueue::push(std::string text, std::vector<Sample> samples) {
    m_clauses.push_back(Clause{std::move(text), std::move(samples)});
    m_clauses.back().complete = true;
}

void PlaybackQueue::begin_clause(std::string text) {
    m_clauses.push_back(Clause{std::move(text), {}});
}

void PlaybackQueue::add_audio(std::span<const Sample> samples) {
    m_clauses.back().samples.insert(m_clauses.back().samples.end(), samples.begin(), samples.end());
}

void PlaybackQueue::end_clause() {
    m_clauses.back().complete = true;
}

PlaybackQueue::Clause& PlaybackQueue::clause_numbered(uint64_t number) {
    return m_clauses[static_cast<size_t>(number - m_front_number)];
}

size_t PlaybackQueue::emit(std::span<Sample> out, uint64_t position) {
    size_t filled = 0;
    while (m_emitting < m_clauses.size()) {
        Clause& clause = m_clauses[m_emitting];
        const size_t count = std::min(out.size() - filled, clause.samples.size() - clause.emitted);
        if (count > 0) {
            std::copy_n(clause.samples.begin() + static_cast<ptrdiff_t>(clause.emitted), count,
                        out.begin() + static_cast<ptrdiff_t>(filled));
            m_pieces.push_back(Piece{position + filled, count, m_front_number + m_emitting, clause.emitted});
            clause.emitted += count;
            filled += count;
        }
        if (clause.emitted < clause.samples.size() || !clause.complete)
            break;  // `out` is full, or the rest of the clause is still being made
        m_emitting++;
    }
    return filled;
}

void PlaybackQueue::heard_up_to(uint64_t position) {
    m_heard = std::max(m_heard, position);
    while (!m_pieces.empty()) {
        const Piece& piece = m_pieces.front();
        const size_t heard = m_heard <= piece.position
                                 ? 0
                                 : static_cast<size_t>(std::min<uint64_t>(piece.count, m_heard - piece.position));
        Clause& clause = clause_numbered(piece.clause);
        clause.heard = std::max(clause.heard, piece.offset + heard);
        if (heard < piece.count)
            break;
        m_pieces.pop_front();
    }
    drop_heard_clauses();
}

void PlaybackQueue::drop_heard_clauses() {
    // Only clauses emitted whole: an empty clause not yet reached is not heard yet.
    while (m_emitting > 0 && m_clauses.front().heard == m_clauses.front().samples.size()) {
        m_spoken += m_clauses.front().text;
        m_clauses.pop_front();
        m_front_number++;
        m_emitting--;
    }
}

void PlaybackQueue::rewind_to_heard() {
    m_pieces.clear();
    m_emitting = 0;
    // The clauses heard whole are gone, so emission starts again in the front one.
    for (Clause& clause : m_clauses)
        clause.emitted = clause.heard;
}

bool PlaybackQueue::ready_to_emit(size_t count) const {
    size_t available = 0;
    for (size_t i = m_emitting; i < m_clauses.size(); i++) {
        available += m_clauses[i].samples.size() - m_clauses[i].emitted;
        if (available >= count)
            return true;
        if (!m_clauses[i].complete)
            return false;
    }
    return m_emitting < m_clauses.size();
}

std::string PlaybackQueue::spoken() const {
    std::string spoken = m_spoken;
    // A clause still being made has no known length, so no share of it: none of its words
    // counts yet (it is made about forty times faster than it is spoken, so little is lost).
    if (!m_clauses.empty() && m_clauses.front().complete && m_clauses.front().heard > 0) {
        const Clause& cut = m_clauses.front();
        const double share = static_cast<double>(cut.heard) / static_cast<double>(cut.samples.size());
        const auto words = static_cast<size_t>(std::floor(share * static_cast<double>(count_words(cut.text)) + 1e-9));
        spoken += first_words(cut.text, words);
    }
    return spoken;
}

void PlaybackQueue::clear() {
    m_clauses.clear();
    m_pieces.clear();
    m_front_number = 0;
    m_emitting = 0;
    m_spoken.clear();
}

}  // namespace os1::voice
