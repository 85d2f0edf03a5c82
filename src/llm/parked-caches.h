// Conversations' KV caches moved out of the engine's sequences into host memory. When more
// conversations are live than the engine has sequences, the one evicted to make room keeps its
// cache here, and comes back without computing its prompt again (copying a sequence's state
// costs milliseconds; computing a few hundred tokens on a CPU, seconds).
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "llm/kv-file.h"

namespace os1::llm {

struct ParkedCache {
    KvSnapshot snapshot;  // the tokens, their text and llama.cpp's state of the sequence
    std::string owner;    // whose text it holds (ChatRequest::cache_owner)

    size_t bytes() const;
};

// Least recently parked first out, within a byte budget. Not thread-safe: the engine thread
// owns it.
class ParkedCaches {
public:
    explicit ParkedCaches(size_t budget_bytes) : m_budget(budget_bytes) {}

    // Keeps `cache` for `conversation`, replacing one kept before, and drops the least recently
    // parked until everything fits the budget. A cache larger than the whole budget is not kept.
    void park(const std::string& conversation, ParkedCache cache);
    // Removes the conversation's cache and returns it, if one is kept.
    std::optional<ParkedCache> take(const std::string& conversation);
    bool holds(const std::string& conversation) const { return m_index.contains(conversation); }
    // The conversation's cache, left in place; null when none is kept.
    const ParkedCache* find(const std::string& conversation) const {
        const auto found = m_index.find(conversation);
        return found == m_index.end() ? nullptr : &found->second->second;
    }
    // Drops the conversation's cache, so that none of its text stays in memory.
    void forget(const std::string& conversation);

    size_t bytes() const { return m_bytes; }
    size_t size() const { return m_index.size(); }

private:
    using Entry = std::pair<std::string, ParkedCache>;
    // Removes the entry, keeping the byte count, and returns its cache.
    ParkedCache erase(std::list<Entry>::iterator entry);

    size_t m_budget;
    size_t m_bytes = 0;
    std::list<Entry> m_order;  // least recently parked first
    std::unordered_map<std::string, std::list<Entry>::iterator> m_index;
};

}  // namespace os1::llm
