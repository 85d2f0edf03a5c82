#include "llm/token-counter.h"

#include <algorithm>

#include "llm/tokens.h"

namespace os1::llm {

namespace {

// FNV-1a, extended a stretch of text at a time.
constexpr uint64_t k_hash_start = 14695981039346656037ull;

uint64_t extend_hash(uint64_t hash, std::string_view bytes) {
    for (const char byte : bytes) {
        hash ^= uint8_t(byte);
        hash *= 1099511628211ull;
    }
    return hash;
}

}  // namespace

TokenCounter::TokenCounter(const llama_vocab* vocab, size_t capacity)
    : m_vocab(vocab), m_capacity(std::max<size_t>(capacity, 1)),
      m_splits_exactly(llama_vocab_type(vocab) == LLAMA_VOCAB_TYPE_BPE),
      m_added_tokens(int32_t(tokenize(vocab, "", AddSpecial::Yes).size())) {}

TokenCounter::Count TokenCounter::count(const std::string& key, std::string_view text) {
    if (key.empty() || !m_splits_exactly)
        return {int32_t(tokenize(m_vocab, text, AddSpecial::Yes).size()), text.size()};

    std::vector<Checkpoint> checkpoints;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_remembered.find(key); it != m_remembered.end())
            checkpoints = it->second.checkpoints;
    }
    // Keep the checkpoints whose text `text` still starts with.
    uint64_t hash = k_hash_start;
    size_t hashed = 0;
    size_t kept = 0;
    for (; kept < checkpoints.size() && checkpoints[kept].end <= text.size(); ++kept) {
        hash = extend_hash(hash, text.substr(hashed, checkpoints[kept].end - hashed));
        hashed = checkpoints[kept].end;
        if (hash != checkpoints[kept].hash)
            break;
    }
    checkpoints.resize(kept);

    const Checkpoint start = checkpoints.empty() ? Checkpoint{0, 0, k_hash_start} : checkpoints.back();
    const auto tokens = tokenize(m_vocab, text.substr(start.end), AddSpecial::No);
    auto later = checkpoints_in(text, start, tokens);
    checkpoints.insert(checkpoints.end(), later.begin(), later.end());
    remember(key, std::move(checkpoints));
    return {m_added_tokens + start.tokens + int32_t(tokens.size()), text.size() - start.end};
}

void TokenCounter::forget(const std::string& key) {
    std::lock_guard lock(m_mutex);
    m_remembered.erase(key);
}

std::vector<TokenCounter::Checkpoint> TokenCounter::checkpoints_in(std::string_view text, const Checkpoint& before,
                                                                   const std::vector<llama_token>& tokens) const {
    std::vector<Checkpoint> found;
    size_t offset = before.end;
    size_t hashed = before.end;
    uint64_t hash = before.hash;
    int32_t count = before.tokens;
    for (const llama_token token : tokens) {
        const std::string piece = token_piece(m_vocab, token, Special::Render);
        if (text.substr(offset, piece.size()) != piece)
            break;  // the pieces no longer spell the text; no offset after here can be trusted
        offset += piece.size();
        ++count;
        // A control token that strips the whitespace after it joins that to itself, so the text
        // after it does not tokenize on its own the same way.
        const llama_token_attr attributes = llama_vocab_get_attr(m_vocab, token);
        if ((attributes & LLAMA_TOKEN_ATTR_CONTROL) && !(attributes & LLAMA_TOKEN_ATTR_RSTRIP)) {
            hash = extend_hash(hash, text.substr(hashed, offset - hashed));
            hashed = offset;
            found.push_back({offset, count, hash});
        }
    }
    return found;
}

void TokenCounter::remember(const std::string& key, std::vector<Checkpoint> checkpoints) {
    std::lock_guard lock(m_mutex);
    auto [it, inserted] = m_remembered.try_emplace(key);
    it->second.checkpoints = std::move(checkpoints);
    it->second.last_used = ++m_clock;
    if (inserted && m_remembered.size() > m_capacity) {
        auto oldest = std::min_element(m_remembered.begin(), m_remembered.end(), [](const auto& a, const auto& b) {
            return a.second.last_used < b.second.last_used;
        });
        m_remembered.erase(oldest);
    }
}

}  // namespace os1::llm
