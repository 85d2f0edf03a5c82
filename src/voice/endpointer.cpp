#include "voice/endpointer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "voice/audio-clip.h"

namespace os1::voice {

namespace {

constexpr int k_frame_ms = 1000 * k_frame_samples / k_sample_rate;

// Words after which the speaker is most likely going on: conjunctions and fillers.
constexpr std::array<std::string_view, 17> k_continuing = {
    "and", "so", "but", "or", "because", "cause", "um", "uh", "umm", "uhm", "er", "erm", "ah", "hmm",
    "like", "then", "well"};
// Words that cannot end a sentence (articles, prepositions, pronouns before their verb): the
// sentence is unfinished, though not audibly "going on", so the ordinary hangover applies.
constexpr std::array<std::string_view, 31> k_unfinished = {
    "the", "a", "an", "to", "of", "in", "on", "at", "for", "with", "from", "about", "into", "my", "your",
    "his", "her", "their", "our", "i", "we", "you", "they", "is", "are", "was", "were", "if", "that", "when",
    "than"};
// Fewer words than this are too little to call a sentence complete ("yes" may be followed by
// "but"), so the ordinary hangover applies.
constexpr int k_complete_min_words = 3;

bool contains(std::span<const std::string_view> words, std::string_view word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

Endpointer::Endpointer(EndpointerSettings settings) : m_settings(settings) {
    reset();
}

std::chrono::milliseconds Endpointer::hangover_for(std::string_view partial_words) const {
    // The last word, lower case, without punctuation; and whether punctuation ended a sentence
    // (engines that punctuate, such as whisper.cpp).
    // The tail is enough (three words and the last), and keeps a long monologue's frames cheap.
    constexpr size_t k_tail_bytes = 160;
    if (partial_words.size() > k_tail_bytes)
        partial_words.remove_prefix(partial_words.size() - k_tail_bytes);
    std::string last;
    int words = 0;
    bool sentence_end = false;
    bool in_word = false;
    for (char c : partial_words) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '\'' || byte >= 0x80) {
            if (!in_word) {
                last.clear();
                ++words;
                sentence_end = false;
            }
            in_word = true;
            last += static_cast<char>(std::tolower(byte));
        } else {
            in_word = false;
            if (c == '.' || c == '?' || c == '!')
                sentence_end = true;
            else if (!std::isspace(byte))
                sentence_end = false;
        }
    }
    if (words == 0)
        return m_settings.hangover;
    if (contains(k_continuing, last))
        return m_settings.hangover_continuing;
    if (sentence_end)
        return m_settings.hangover_complete;
    if (words < k_complete_min_words || contains(k_unfinished, last))
        return m_settings.hangover;
    return m_settings.hangover_complete;
}

Endpointer::Event Endpointer::push(bool speech, std::string_view partial_words) {
    if (!m_in_speech) {
        m_onset_speech += static_cast<int>(speech) - static_cast<int>(m_onset_window[m_onset_index]);
        m_onset_window[m_onset_index] = speech;
        m_onset_index = (m_onset_index + 1) % m_onset_window.size();
        if (m_onset_speech * k_frame_ms < m_settings.min_speech.count())
            return Event::None;
        m_in_speech = true;
        m_utterance_frames = m_onset_speech;
        m_silent_frames = 0;
        std::fill(m_onset_window.begin(), m_onset_window.end(), false);
        m_onset_speech = 0;
        return Event::SpeechStarted;
    }

    ++m_utterance_frames;
    m_silent_frames = speech ? 0 : m_silent_frames + 1;
    const std::chrono::milliseconds silence{m_silent_frames * k_frame_ms};
    const bool too_long = m_utterance_frames * k_frame_ms >= m_settings.max_utterance.count();
    if (silence < hangover_for(partial_words) && !too_long)
        return Event::None;
    m_in_speech = false;
    m_last_hangover = silence;
    m_silent_frames = 0;
    m_utterance_frames = 0;
    return Event::SpeechEnded;
}

bool Endpointer::in_speech() const {
    return m_in_speech;
}

std::chrono::milliseconds Endpointer::silence() const {
    return std::chrono::milliseconds{m_in_speech ? m_silent_frames * k_frame_ms : 0};
}

std::chrono::milliseconds Endpointer::last_hangover() const {
    return m_last_hangover;
}

void Endpointer::reset() {
    m_in_speech = false;
    const auto min_frames = std::max<int64_t>(1, m_settings.min_speech.count() / k_frame_ms);
    m_onset_window.assign(static_cast<size_t>(min_frames + min_frames / 2), false);
    m_onset_index = 0;
    m_onset_speech = 0;
    m_silent_frames = 0;
    m_utterance_frames = 0;
    m_last_hangover = std::chrono::milliseconds{0};
}

}  // namespace os1::voice
