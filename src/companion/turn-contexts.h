// What the companion told the model at each turn besides the conversation itself: the mood,
// the lorebook entries and the memories recalled for one user message, in a system message
// right after it.
//
// Each turn's context stays in the prompt, after its message, for the rest of the
// conversation. Replacing it with the next turn's would change the prompt in the middle, and
// the engine, which reuses its cache only up to the first difference, would compute the
// previous reply again on every turn. Kept, the prompt only grows, and a turn computes only
// its new message and context. The price is context length, kept small by repeating little:
// a turn's context leaves out a mood, lore or memory that a recent one already gives.
//
// Memories are kept by id and their text is read again every turn, so a memory that is edited
// or forgotten (also by another process) changes the prompt from that turn on, and no copy of
// its old text is sent again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace os1::companion {

struct TurnContext {
    std::string moment;             // mood and what was noticed; empty when it repeats an earlier one
    std::string lore;               // lorebook entries; empty when they repeat earlier ones
    std::vector<int64_t> memories;  // recalled memory ids, in the order shown
};

// The contexts of the stored user turns of recent conversations, in memory only: after a
// restart a conversation's prompt starts again without them.
class TurnContexts {
public:
    // The contexts kept for `conversation`, by user turn id.
    const std::map<int64_t, TurnContext>& of(int64_t conversation) const;
    // Keeps `context` for stored user turn `user_turn` of `conversation`.
    void keep(int64_t conversation, int64_t user_turn, TurnContext context);
    // Drops the contexts of turns before `first_turn` in `conversation` (no longer stored).
    void drop_before(int64_t conversation, int64_t first_turn);
    // Drops everything (after forgetting: a mood's cause may quote the user).
    void clear() { m_conversations.clear(); }

private:
    static constexpr size_t k_max_conversations = 16;  // the most recently kept ones stay
    struct Kept {
        std::map<int64_t, TurnContext> turns;
        uint64_t last_kept = 0;
    };
    std::map<int64_t, Kept> m_conversations;
    uint64_t m_kept_count = 0;
};

}  // namespace os1::companion
