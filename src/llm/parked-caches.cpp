#include "llm/parked-caches.h"

namespace os1::llm {

size_t ParkedCache::bytes() const {
    return snapshot.state.size() + snapshot.tokens.size() * sizeof(llama_token) +
           snapshot.text_ends.size() * sizeof(uint64_t) + snapshot.text.size() + owner.size();
}

void ParkedCaches::park(const std::string& conversation, ParkedCache cache) {
    forget(conversation);
    const size_t size = cache.bytes();
    if (size > m_budget)
        return;
    while (m_bytes + size > m_budget && !m_order.empty())
        erase(m_order.begin());
    m_order.emplace_back(conversation, std::move(cache));
    m_index[conversation] = std::prev(m_order.end());
    m_bytes += size;
}

std::optional<ParkedCache> ParkedCaches::take(const std::string& conversation) {
    const auto found = m_index.find(conversation);
    if (found == m_index.end())
        return std::nullopt;
    return erase(found->second);
}

void ParkedCaches::forget(const std::string& conversation) {
    if (const auto found = m_index.find(conversation); found != m_index.end())
        erase(found->second);
}

ParkedCache ParkedCaches::erase(std::list<Entry>::iterator entry) {
    m_bytes -= entry->second.bytes();
    ParkedCache cache = std::move(entry->second);
    m_index.erase(entry->first);
    m_order.erase(entry);
    return cache;
}

}  // namespace os1::llm
