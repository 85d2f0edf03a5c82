// When the user has started and finished speaking, from the voice-activity decision of each
// 10 ms frame and the words recognised so far. Speech counts as started after a minimum
// duration of speech frames within one and a half times that span (a click is not a turn,
// and the short gaps of a word in noise do not reset it), and as finished after a hangover of silence that adapts
// to the words: short after a complete-sounding sentence, longer after "and", "so" or a
// trailing filler ("um"), when the user is probably not done. Not thread-safe: one caller.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

namespace os1::voice {

struct EndpointerSettings {
    std::chrono::milliseconds min_speech{150};        // speech this long starts an utterance
    std::chrono::milliseconds hangover_complete{250};  // after a complete-sounding sentence
    std::chrono::milliseconds hangover{450};           // after anything else
    std::chrono::milliseconds hangover_continuing{900};  // after "and", "so", "um", ...
    std::chrono::milliseconds max_utterance{std::chrono::minutes{15}};  // ends it regardless
};

class Endpointer {
public:
    enum class Event { None, SpeechStarted, SpeechEnded };

    explicit Endpointer(EndpointerSettings settings = {});

    // One frame: whether it held speech, and the recogniser's partial words of the utterance.
    Event push(bool speech, std::string_view partial_words);
    bool in_speech() const;
    // In speech: the silence since its last speech frame.
    std::chrono::milliseconds silence() const;
    // The silence after speech that ended the last utterance: the endpointing delay.
    std::chrono::milliseconds last_hangover() const;
    void reset();

    // The hangover that the words so far call for (settings' hangover_complete, hangover or
    // hangover_continuing).
    std::chrono::milliseconds hangover_for(std::string_view partial_words) const;

private:
    EndpointerSettings m_settings;
    bool m_in_speech = false;
    // Before the start: the last frames' decisions (a ring), and how many of them were speech.
    std::vector<bool> m_onset_window;
    size_t m_onset_index = 0;
    int m_onset_speech = 0;
    int m_silent_frames = 0;     // in speech: silent frames since the last speech frame
    int m_utterance_frames = 0;  // in speech: frames since the start
    std::chrono::milliseconds m_last_hangover{0};
};

}  // namespace os1::voice
