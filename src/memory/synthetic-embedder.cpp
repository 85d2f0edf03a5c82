#include "memory/synthetic-embedder.h"

#include <algorithm>

#include "memory/text-util.h"

namespace os1::memory {

namespace {

// FNV-1a: stable across platforms and runs, unlike std::hash.
uint64_t fnv1a(std::string_view text) {
    uint64_t hash = 14695981039346656037ull;
    for (char c : text) {
        hash ^= uint8_t(c);
        hash *= 1099511628211ull;
    }
    return hash;
}

class SyntheticEmbedder final : public llm::Embedder {
public:
    explicit SyntheticEmbedder(int32_t dimension)
        : m_dimension(dimension), m_fingerprint("synthetic-hashed-words:" + std::to_string(dimension)) {}

    ErrorOr<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override {
        std::vector<std::vector<float>> out;
        out.reserve(texts.size());
        for (const std::string& text : texts) {
            std::vector<float> vector(size_t(m_dimension), 0.0f);
            for (const std::string& word : words(text)) {
                const uint64_t hash = fnv1a(word);
                vector[size_t(hash % uint64_t(m_dimension))] += (hash >> 63) ? 1.0f : -1.0f;
            }
            llm::normalize_l2(vector);
            out.push_back(std::move(vector));
        }
        return out;
    }

    int32_t dimension() const override { return m_dimension; }
    const std::string& fingerprint() const override { return m_fingerprint; }

private:
    int32_t m_dimension;
    std::string m_fingerprint;
};

}  // namespace

std::unique_ptr<llm::Embedder> make_synthetic_embedder(int32_t dimension) {
    return std::make_unique<SyntheticEmbedder>(std::max<int32_t>(1, dimension));
}

}  // namespace os1::memory
