// The rules follow the JavaScript port that ships our lexicon (vader-sentiment 1.1.3) and the
// published demo output of the original. Where the two differ, or where the port is brittle, we
// follow the original Python (3.3) and say so:
//  - rule words ("but", "never", "so", "least", negations, idioms) match in any case; the port
//    only finds "but"/"BUT", so "... But I'll get by" scores 0.2228 there and 0.5249 here and in
//    the original's published output;
//  - "no" negates a rated word up to two words later, and is not scored itself when a rated
//    word follows ("no good" is negative), as in the original 3.3; we also stop it at a comma;
//  - outer punctuation is stripped from any word (the port only strips one mark it knows).
// Emoji are not rated: the npm package ships no emoji lexicon.
#include "affect/vader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "affect/text.h"

namespace os1::affect {

namespace {

using detail::Token;
using detail::TokenizedText;

// Empirically derived constants from the VADER paper.
constexpr double booster_increment = 0.293;  // a degree adverb ("very") before a rated word
constexpr double caps_increment = 0.733;     // an ALL-CAPS word in otherwise mixed-case text
constexpr double negation_scalar = -0.74;    // "not good" is about -0.74 x "good"
constexpr double exclamation_increment = 0.292;
constexpr double question_increment = 0.18;
constexpr double normalization_alpha = 15.0;  // about the largest expected raw sum, squared

const std::unordered_set<std::string_view>& negations() {
    static const std::unordered_set<std::string_view> words = {
        "aint",     "arent",    "cannot",    "cant",    "couldnt", "darent",   "didnt",   "doesnt", "ain't",
        "aren't",   "can't",    "couldn't",  "daren't", "didn't",  "doesn't",  "dont",    "hadnt",  "hasnt",
        "havent",   "isnt",     "mightnt",   "mustnt",  "neither", "don't",    "hadn't",  "hasn't", "haven't",
        "isn't",    "mightn't", "mustn't",   "neednt",  "needn't", "never",    "none",    "nope",   "nor",
        "not",      "nothing",  "nowhere",   "oughtnt", "shant",   "shouldnt", "uhuh",    "wasnt",  "werent",
        "oughtn't", "shan't",   "shouldn't", "uh-uh",   "wasn't",  "weren't",  "without", "wont",   "wouldnt",
        "won't",    "wouldn't", "rarely",    "seldom",  "despite",
    };
    return words;
}

// Degree adverbs: an intensifier moves the valence of the rated word after it away from zero, a
// dampener moves it toward zero.
const std::unordered_map<std::string_view, double>& boosters() {
    static const std::unordered_map<std::string_view, double> words = [] {
        std::unordered_map<std::string_view, double> map;
        for (std::string_view w :
             {"absolutely",   "amazingly",     "awfully",    "completely", "considerably", "decidedly",
              "deeply",       "effing",        "enormously", "entirely",   "especially",   "exceptionally",
              "extremely",    "fabulously",    "flipping",   "flippin",    "fricking",     "frickin",
              "frigging",     "friggin",       "fully",      "fucking",    "greatly",      "hella",
              "highly",       "hugely",        "incredibly", "intensely",  "majorly",      "more",
              "most",         "particularly",  "purely",     "quite",      "really",       "remarkably",
              "so",           "substantially", "thoroughly", "totally",    "tremendously", "uber",
              "unbelievably", "unusually",     "utterly",    "very"})
            map.emplace(w, booster_increment);
        for (std::string_view w :
             {"almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginally",
              "occasionally", "partly", "scarcely", "slightly", "somewhat", "sorta", "sortof", "sort-of"})
            map.emplace(w, -booster_increment);
        return map;
    }();
    return words;
}

struct Phrase {
    std::array<std::string_view, 3> words;
    std::size_t length;
    double valence;
};

// Idioms whose meaning differs from their words; they replace the valence of the rated word
// they contain or sit next to.
constexpr std::array<Phrase, 7> idioms = {{
    {{"the", "shit", ""}, 2, 3.0},
    {{"the", "bomb", ""}, 2, 3.0},
    {{"bad", "ass", ""}, 2, 1.5},
    {{"yeah", "right", ""}, 2, -2.0},
    {{"cut", "the", "mustard"}, 3, 2.0},
    {{"kiss", "of", "death"}, 3, -1.5},
    {{"hand", "to", "mouth"}, 3, -2.0},
}};

// Two-word dampeners; "kind of" is also skipped as a word pair by the main loop.
constexpr std::array<Phrase, 3> dampener_pairs = {{
    {{"kind", "of", ""}, 2, 0.0},
    {{"sort", "of", ""}, 2, 0.0},
    {{"just", "enough", ""}, 2, 0.0},
}};

bool is_negation(std::string_view lower) {
    return negations().contains(lower) || lower.find("n't") != std::string_view::npos;
}

class Scorer {
public:
    Scorer(const VaderLexicon& lexicon, const TokenizedText& text) : m_lexicon(lexicon), m_text(text) {}

    SentimentScores score() const;

private:
    double valence_at(std::size_t i) const;
    double negation_check(double valence, std::size_t distance, std::size_t i) const;
    double idioms_check(double valence, std::size_t i) const;
    double least_check(double valence, std::size_t i) const;
    double booster_scalar(const Token& token, double valence) const;
    bool is_rated(std::size_t i) const { return m_lexicon.contains(m_text[i].lower); }
    std::string_view lower(std::size_t i) const { return m_text[i].lower; }
    bool so_or_this(std::size_t i) const { return lower(i) == "so" || lower(i) == "this"; }

    template <std::size_t N>
    const Phrase* match(const std::array<Phrase, N>& phrases, std::size_t first, std::size_t last) const {
        std::size_t length = last - first + 1;
        for (const Phrase& phrase : phrases) {
            if (phrase.length != length)
                continue;
            bool same = true;
            for (std::size_t k = 0; k < length && same; ++k)
                same = lower(first + k) == phrase.words[k];
            if (same)
                return &phrase;
        }
        return nullptr;
    }

    const VaderLexicon& m_lexicon;
    const TokenizedText& m_text;
};

double Scorer::booster_scalar(const Token& token, double valence) const {
    auto it = boosters().find(token.lower);
    if (it == boosters().end())
        return 0.0;
    double scalar = valence < 0 ? -it->second : it->second;
    if (m_text.mixed_caps() && token.all_caps)
        scalar += valence > 0 ? caps_increment : -caps_increment;
    return scalar;
}

// `distance` is 0, 1 or 2 for the word 1, 2 or 3 places before i.
double Scorer::negation_check(double valence, std::size_t distance, std::size_t i) const {
    if (distance == 0)
        return is_negation(lower(i - 1)) ? valence * negation_scalar : valence;
    if (distance == 1) {
        if (lower(i - 2) == "never" && so_or_this(i - 1))
            return valence * 1.5;  // "never so good": emphasis, not negation
        return is_negation(lower(i - 2)) ? valence * negation_scalar : valence;
    }
    // As in the reference, "so"/"this" right before the word also counts here.
    if ((lower(i - 3) == "never" && so_or_this(i - 2)) || so_or_this(i - 1))
        return valence * 1.25;
    return is_negation(lower(i - 3)) ? valence * negation_scalar : valence;
}

// Only reached with i >= 3, like the reference.
double Scorer::idioms_check(double valence, std::size_t i) const {
    const std::array<std::pair<std::size_t, std::size_t>, 5> before = {
        {{i - 1, i}, {i - 2, i}, {i - 2, i - 1}, {i - 3, i - 1}, {i - 3, i - 2}}};
    for (auto [first, last] : before) {
        if (const Phrase* idiom = match(idioms, first, last)) {
            valence = idiom->valence;
            break;
        }
    }
    if (i + 1 < m_text.size()) {
        if (const Phrase* idiom = match(idioms, i, i + 1))
            valence = idiom->valence;
    }
    if (i + 2 < m_text.size()) {
        if (const Phrase* idiom = match(idioms, i, i + 2))
            valence = idiom->valence;
    }
    // A two-word dampener ("kind of good") lowers the word, whatever its sign (as the reference).
    if (match(dampener_pairs, i - 3, i - 2) || match(dampener_pairs, i - 2, i - 1))
        valence -= booster_increment;
    return valence;
}

// "least good" negates; "at least" and "very least" do not.
double Scorer::least_check(double valence, std::size_t i) const {
    if (i == 0 || lower(i - 1) != "least" || is_rated(i - 1))
        return valence;
    if (i > 1 && (lower(i - 2) == "at" || lower(i - 2) == "very"))
        return valence;
    return valence * negation_scalar;
}

double Scorer::valence_at(std::size_t i) const {
    std::optional<double> rated = m_lexicon.find(lower(i));
    if (!rated)
        return 0.0;
    const double base = *rated;
    double valence = base;

    // "no" before a rated word negates it rather than counting as a negative word itself.
    auto no_at = [&](std::size_t j) { return lower(j) == "no" && !m_text[j].ends_clause; };
    if (lower(i) == "no" && i + 1 < m_text.size() && !m_text[i].ends_clause && is_rated(i + 1)) {
        valence = 0.0;
    } else if (lower(i) != "no") {
        bool negated_by_no = (i > 0 && no_at(i - 1)) || (i > 1 && no_at(i - 2) && !m_text[i - 1].ends_clause) ||
                             (i > 2 && no_at(i - 3) && (lower(i - 1) == "or" || lower(i - 1) == "nor") &&
                              !m_text[i - 2].ends_clause && !m_text[i - 1].ends_clause);
        if (negated_by_no)
            valence = base * negation_scalar;
    }

    if (m_text.mixed_caps() && m_text[i].all_caps)
        valence += valence > 0 ? caps_increment : -caps_increment;

    // Words up to three places before: degree adverbs (weaker with distance), negations, and
    // idioms. A rated word in between blocks that slot, as in the reference.
    constexpr std::array<double, 3> distance_damping = {1.0, 0.95, 0.9};
    for (std::size_t distance = 0; distance < 3; ++distance) {
        if (i <= distance)
            break;
        std::size_t j = i - distance - 1;
        if (is_rated(j))
            continue;
        valence += booster_scalar(m_text[j], valence) * distance_damping[distance];
        valence = negation_check(valence, distance, i);
        if (distance == 2)
            valence = idioms_check(valence, i);
    }
    return least_check(valence, i);
}

SentimentScores Scorer::score() const {
    const std::size_t n = m_text.size();
    if (n == 0)
        return {};

    std::vector<double> sentiments(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        // Modifiers carry no valence of their own.
        if (boosters().contains(lower(i)))
            continue;
        if (lower(i) == "kind" && i + 1 < n && lower(i + 1) == "of")
            continue;
        sentiments[i] = valence_at(i);
    }

    // "but" shifts the weight to what follows it: earlier words x0.5, later words x1.5.
    for (std::size_t b = 0; b < n; ++b) {
        if (lower(b) != "but")
            continue;
        for (std::size_t i = 0; i < n; ++i) {
            if (i < b)
                sentiments[i] *= 0.5;
            else if (i > b)
                sentiments[i] *= 1.5;
        }
        break;
    }

    double sum = 0.0;
    for (double s : sentiments)
        sum += s;

    // Punctuation emphasis: up to four "!" and, from two on, "?" make either polarity stronger.
    double emphasis = static_cast<double>(std::min<std::size_t>(m_text.exclamation_marks(), 4)) * exclamation_increment;
    std::size_t questions = m_text.question_marks();
    if (questions > 1)
        emphasis += questions <= 3 ? static_cast<double>(questions) * question_increment : 0.96;
    if (sum > 0)
        sum += emphasis;
    else if (sum < 0)
        sum -= emphasis;

    SentimentScores scores;
    scores.compound = std::clamp(sum / std::sqrt(sum * sum + normalization_alpha), -1.0, 1.0);

    // Each rated word also counts once as a word (the +1/-1), so the proportions compare with
    // the number of neutral words.
    double positive = 0.0;
    double negative = 0.0;
    double neutral = 0.0;
    for (double s : sentiments) {
        if (s > 0)
            positive += s + 1.0;
        else if (s < 0)
            negative += s - 1.0;
        else
            neutral += 1.0;
    }
    if (positive > std::fabs(negative))
        positive += emphasis;
    else if (positive < std::fabs(negative))
        negative -= emphasis;
    double total = positive + std::fabs(negative) + neutral;
    scores.pos = std::fabs(positive / total);
    scores.neg = std::fabs(negative / total);
    scores.neu = std::fabs(neutral / total);
    return scores;
}

}  // namespace

ErrorOr<VaderAnalyzer> VaderAnalyzer::load(const std::filesystem::path& lexicon_path) {
    VaderLexicon lexicon = OS1_TRY(VaderLexicon::load(lexicon_path));
    return VaderAnalyzer(std::move(lexicon));
}

SentimentScores VaderAnalyzer::polarity_scores(std::string_view text) const {
    TokenizedText tokens(text, m_lexicon);
    return Scorer(m_lexicon, tokens).score();
}

}  // namespace os1::affect
