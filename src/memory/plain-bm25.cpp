#include "memory/plain-bm25.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "memory/text-util.h"

namespace os1::memory {

namespace {

// NLTK's English stop words (179), the usual list for such a baseline.
bool is_english_stop_word(const std::string& word) {
    static const std::unordered_set<std::string> stop = {
        "i",        "me",     "my",      "myself",   "we",      "our",     "ours",     "ourselves",  "you",
        "you're",   "you've", "you'll",  "you'd",    "your",    "yours",   "yourself", "yourselves", "he",
        "him",      "his",    "himself", "she",      "she's",   "her",     "hers",     "herself",    "it",
        "it's",     "its",    "itself",  "they",     "them",    "their",   "theirs",   "themselves", "what",
        "which",    "who",    "whom",    "this",     "that",    "that'll", "these",    "those",      "am",
        "is",       "are",    "was",     "were",     "be",      "been",    "being",    "have",       "has",
        "had",      "having", "do",      "does",     "did",     "doing",   "a",        "an",         "the",
        "and",      "but",    "if",      "or",       "because", "as",      "until",    "while",      "of",
        "at",       "by",     "for",     "with",     "about",   "against", "between",  "into",       "through",
        "during",   "before", "after",   "above",    "below",   "to",      "from",     "up",         "down",
        "in",       "out",    "on",      "off",      "over",    "under",   "again",    "further",    "then",
        "once",     "here",   "there",   "when",     "where",   "why",     "how",      "all",        "any",
        "both",     "each",   "few",     "more",     "most",    "other",   "some",     "such",       "no",
        "nor",      "not",    "only",    "own",      "same",    "so",      "than",     "too",        "very",
        "s",        "t",      "can",     "will",     "just",    "don",     "don't",    "should",     "should've",
        "now",      "d",      "ll",      "m",        "o",       "re",      "ve",       "y",          "ain",
        "aren",     "aren't", "couldn",  "couldn't", "didn",    "didn't",  "doesn",    "doesn't",    "hadn",
        "hadn't",   "hasn",   "hasn't",  "haven",    "haven't", "isn",     "isn't",    "ma",         "mightn",
        "mightn't", "mustn",  "mustn't", "needn",    "needn't", "shan",    "shan't",   "shouldn",    "shouldn't",
        "wasn",     "wasn't", "weren",   "weren't",  "won",     "won't",   "wouldn",   "wouldn't"};
    return stop.count(word) > 0;
}

std::vector<std::string> kept_words(std::string_view text) {
    std::vector<std::string> out;
    for (std::string& w : words(text))
        if (!is_english_stop_word(w))
            out.push_back(std::move(w));
    return out;
}

}  // namespace

PlainBm25::PlainBm25(const std::vector<std::string>& texts) {
    size_t total = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        std::unordered_map<std::string, int> counts;
        std::vector<std::string> kept = kept_words(texts[i]);
        for (const std::string& w : kept)
            if (counts[w]++ == 0)
                m_postings[w].push_back(i);
        m_lengths.push_back(kept.size());
        total += kept.size();
        m_counts.push_back(std::move(counts));
    }
    m_average_length = texts.empty() ? 0 : double(total) / double(texts.size());
}

std::vector<size_t> PlainBm25::search(std::string_view query, size_t k) const {
    constexpr double k1 = 1.2, b = 0.75;
    const double n = double(m_counts.size());
    std::unordered_map<size_t, double> scores;
    std::unordered_set<std::string> seen;
    for (const std::string& term : kept_words(query)) {
        if (!seen.insert(term).second)
            continue;
        auto posting = m_postings.find(term);
        if (posting == m_postings.end())
            continue;
        const double df = double(posting->second.size());
        const double idf = std::log((n - df + 0.5) / (df + 0.5) + 1.0);
        for (size_t doc : posting->second) {
            const double tf = m_counts[doc].at(term);
            const double norm = k1 * (1 - b + b * double(m_lengths[doc]) / std::max(m_average_length, 1e-9));
            scores[doc] += idf * tf * (k1 + 1) / (tf + norm);
        }
    }
    std::vector<std::pair<double, size_t>> ranked;
    for (const auto& [doc, score] : scores)
        ranked.push_back({score, doc});
    std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    std::vector<size_t> out;
    for (size_t i = 0; i < ranked.size() && i < k; ++i)
        out.push_back(ranked[i].second);
    return out;
}

}  // namespace os1::memory
