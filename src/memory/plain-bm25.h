// Plain Okapi BM25 (k1 = 1.2, b = 0.75) over a fixed list of texts, in memory: lowercase words,
// English stop words removed, no stemming. The baseline that `os1 bench memory --dataset`
// reports beside os1's own search, so that both are measured on the same turns in one run.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace os1::memory {

class PlainBm25 {
public:
    explicit PlainBm25(const std::vector<std::string>& texts);
    // Indices into the texts of the `k` best matches, best first; ties go to the earlier text.
    // Texts that share no word with the query are never returned.
    std::vector<size_t> search(std::string_view query, size_t k) const;

private:
    std::vector<std::unordered_map<std::string, int>> m_counts;  // per text: word -> occurrences
    std::vector<size_t> m_lengths;                               // per text: words kept
    std::unordered_map<std::string, std::vector<size_t>> m_postings;
    double m_average_length = 0;
};

}  // namespace os1::memory
