// VADER sentiment (Hutto & Gilbert, ICWSM 2014): lexicon valences adjusted by rules for
// negation, degree adverbs, ALL-CAPS emphasis, "but", idioms and punctuation, then normalized.
// An analyzer is immutable after construction: share one across threads freely.
#pragma once

#include <filesystem>
#include <string_view>

#include "affect/vader-lexicon.h"
#include "core/error.h"

namespace os1::affect {

// Proportions of negative, neutral and positive tokens (they sum to about 1, or are all 0 for
// text without words) and the normalized compound score in [-1, 1]. Values are not rounded.
struct SentimentScores {
    double neg = 0.0;
    double neu = 0.0;
    double pos = 0.0;
    double compound = 0.0;
};

class VaderAnalyzer {
public:
    explicit VaderAnalyzer(VaderLexicon lexicon) : m_lexicon(std::move(lexicon)) {}

    static ErrorOr<VaderAnalyzer> load(const std::filesystem::path& lexicon_path);

    // Scores any bytes; invalid UTF-8 is not an error (non-ASCII words are simply unrated).
    SentimentScores polarity_scores(std::string_view text) const;

    const VaderLexicon& lexicon() const { return m_lexicon; }

private:
    VaderLexicon m_lexicon;
};

}  // namespace os1::affect
