// Appraisal of one message: how pleasant it reads (VADER), how activated, and which emotions it
// signals, from word cues that respect negation. Rule-based, deterministic and cheap enough to
// run on every message; an Appraiser is immutable and may be shared across threads.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>

#include "affect/vader.h"
#include "core/error.h"

namespace os1::affect {

enum class Emotion { joy, sadness, anger, fear, surprise, affection, loneliness, gratitude };

inline constexpr std::size_t emotion_count = 8;
inline constexpr std::array<Emotion, emotion_count> all_emotions = {
    Emotion::joy,      Emotion::sadness,   Emotion::anger,      Emotion::fear,
    Emotion::surprise, Emotion::affection, Emotion::loneliness, Emotion::gratitude,
};

// "joy", "sadness", ...: the names used in JSON.
std::string_view emotion_name(Emotion emotion);
std::optional<Emotion> emotion_from_name(std::string_view name);

// One intensity in [0, 1] per emotion.
struct EmotionScores {
    std::array<double, emotion_count> values{};

    double& operator[](Emotion e) { return values[static_cast<std::size_t>(e)]; }
    double operator[](Emotion e) const { return values[static_cast<std::size_t>(e)]; }
    // The strongest emotion, or nothing when every score is below `threshold`.
    std::optional<Emotion> dominant(double threshold = 0.1) const;
    double strongest() const;
};

struct Appraisal {
    double valence = 0.0;   // [-1, 1]: the compound with VADER's neutral band (|c| < 0.05) mapped to 0
    double compound = 0.0;  // VADER's compound score, [-1, 1]
    double arousal = 0.0;   // [0, 1]: 0 calm or flat, 1 shouting-level activation
    EmotionScores emotions;
};

class Appraiser {
public:
    explicit Appraiser(VaderAnalyzer analyzer) : m_analyzer(std::move(analyzer)) {}

    static ErrorOr<Appraiser> load(const std::filesystem::path& lexicon_path);

    // Appraises any bytes; invalid UTF-8 is not an error (callers that need valid text check it).
    Appraisal appraise(std::string_view text) const;

    const VaderAnalyzer& analyzer() const { return m_analyzer; }

private:
    VaderAnalyzer m_analyzer;
};

}  // namespace os1::affect
