#include "companion/turn-contexts.h"

#include <algorithm>

namespace os1::companion {

const std::map<int64_t, TurnContext>& TurnContexts::of(int64_t conversation) const {
    static const std::map<int64_t, TurnContext> none;
    auto found = m_conversations.find(conversation);
    return found == m_conversations.end() ? none : found->second.turns;
}

void TurnContexts::keep(int64_t conversation, int64_t user_turn, TurnContext context) {
    Kept& kept = m_conversations[conversation];
    kept.turns[user_turn] = std::move(context);
    kept.last_kept = ++m_kept_count;
    if (m_conversations.size() > k_max_conversations) {
        auto oldest = std::min_element(m_conversations.begin(), m_conversations.end(),
                                       [](const auto& a, const auto& b) { return a.second.last_kept < b.second.last_kept; });
        m_conversations.erase(oldest);
    }
}

void TurnContexts::drop_before(int64_t conversation, int64_t first_turn) {
    auto found = m_conversations.find(conversation);
    if (found == m_conversations.end())
        return;
    auto& turns = found->second.turns;
    turns.erase(turns.begin(), turns.lower_bound(first_turn));
}

}  // namespace os1::companion
