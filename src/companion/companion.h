// One user's companion: the persona, the feelings (mood, relationship, journal), long-term
// memory and the stored conversations, all in that user's os1.db. It holds the pieces of the
// turn pipeline: before a reply, the user's message is appraised and memories are recalled;
// the prompt is composed from the persona card, the core memory blocks, the mood and
// relationship, the recalled memories and the recent turns; after the reply, the exchange is
// committed and copied into long-term memory. Learning that needs the model runs elsewhere
// (learning.h), on the host's background queue.
//
// Not thread-safe: the host gives each user one strand (a mutex) around their Companion.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "affect/companion-state.h"
#include "companion/turn-contexts.h"
#include "core/environment.h"
#include "core/error.h"
#include "llm/llm.h"
#include "memory/conversation-store.h"
#include "memory/memory.h"
#include "persona/lore-matcher.h"
#include "persona/onboarding.h"

namespace os1::companion {

using persona::CompanionName;

struct CompanionOptions {
    std::string system_prompt;  // replaces the persona card's prompt when not empty
    size_t recall_budget_tokens = 300;
    int recall_k = 5;
    bool learn = true;  // facts, the model's appraisal, the journal and reflection (needs a model)
    // Dense recall: memories get vectors from this model and recall fuses them with BM25.
    std::shared_ptr<llm::Embedder> embedder;
    // Reflect once the importance stored since the last reflection reaches this (see memory.h).
    double reflection_threshold = memory::default_reflection_threshold;
};

// What observing a user message produced, for composing the reply and for the Prepared event.
struct Observation {
    std::vector<memory::Hit> recalled;
    affect::Pad mood_before;
    std::string mood_label;
    affect::ProsodyHints prosody;
    affect::Timestamp observed_at;
    double appraise_ms = 0;  // appraising the message and updating the feelings
    double recall_ms = 0;    // searching the memories
};

// The messages for the next reply, and this turn's context, to keep with the user's message
// once the exchange is stored (commit_exchange).
struct ComposedPrompt {
    std::vector<llm::Message> messages;
    TurnContext context;
};

class Companion {
public:
    // Opens the user's stores in `user_dir` (which must exist) with the user's environment.
    static ErrorOr<std::unique_ptr<Companion>> open(const std::filesystem::path& user_dir, CompanionOptions options,
                                                    Environment env);

    const std::filesystem::path& user_dir() const { return m_user_dir; }
    const Environment& environment() const { return m_env; }
    const CompanionOptions& options() const { return m_options; }

    // The companion's name: chosen at onboarding, else the persona card's.
    std::string name() const;

    const persona::CharacterCard& card() const { return m_card; }
    // Saves `card` as the persona. Replies use it from the next turn; the personality baseline
    // that the feelings settle towards follows when the companion is next loaded.
    ErrorOr<void> replace_card(persona::CharacterCard card);

    // First run: true until the onboarding interview has been completed and saved.
    bool needs_onboarding() const;
    // Finishes onboarding: the companion chooses its name (with `backend` when given, else
    // without a model) and remembers it, the reason, and the answers.
    ErrorOr<CompanionName> finish_onboarding(persona::Onboarding onboarding, llm::Backend* backend);

    // Appraises the user's message, moves mood and relationship, and recalls memories for it.
    ErrorOr<Observation> observe_user(const std::string& text);
    // The messages for the next reply in `conversation`, whose stored `turns` end with the new
    // user message: the composed system prompt, which starts with instructions(), then the
    // turns, each user message followed by the context kept for it (turn-contexts.h), and
    // after the newest what changes every turn (mood, lore, `recalled`) and no earlier context
    // already gives.
    ErrorOr<ComposedPrompt> compose(int64_t conversation, const std::vector<memory::Turn>& turns,
                                    const std::vector<memory::Hit>& recalled);
    // Sampling nudged by the mood (a livelier mood samples a little warmer).
    llm::SamplingParams adjust(llm::SamplingParams base) const;
    // The persona and instructions the model is given, with the user named only as "the user":
    // they hold no user data. Learning checks what the model says against them, and the engine
    // may share their cache between users.
    std::string instructions() const;

    // Stores the exchange in one transaction and copies it into long-term memory, and keeps
    // `context` (the one compose gave for it) with the user's message; returns the two turn ids.
    ErrorOr<std::pair<int64_t, int64_t>> commit_exchange(int64_t conversation, const std::string& user_text,
                                                         int64_t user_time, const std::string& reply_text,
                                                         memory::Interrupted interrupted, TurnContext context);
    // Drops every kept turn context (after forgetting).
    void drop_turn_contexts() { m_contexts.clear(); }

    memory::ConversationStore& conversations() { return m_conversations; }
    memory::MemoryStore& memory() { return m_memory; }
    affect::CompanionState& feelings() { return m_feelings; }

    std::string mood_report() const;
    ErrorOr<std::string> journal_report(int64_t limit);
    // Stores a fact the user asked to be remembered; returns its memory id.
    ErrorOr<int64_t> remember(const std::string& text);

    Companion(const Companion&) = delete;
    Companion& operator=(const Companion&) = delete;

private:
    Companion(std::filesystem::path user_dir, CompanionOptions options, Environment env,
              memory::ConversationStore conversations, memory::MemoryStore memory, affect::CompanionState feelings,
              persona::CharacterCard card, std::optional<persona::Onboarding> onboarding, affect::Appraiser appraiser);

    std::filesystem::path m_user_dir;
    CompanionOptions m_options;
    Environment m_env;
    memory::ConversationStore m_conversations;
    memory::MemoryStore m_memory;
    affect::CompanionState m_feelings;
    persona::CharacterCard m_card;
    std::optional<persona::LoreMatcher> m_lore;  // built from m_card's book whenever the card is set
    std::optional<persona::Onboarding> m_onboarding;
    affect::Appraiser m_appraiser;
    std::vector<std::string> m_recent_user_texts;  // for lorebook keys
    TurnContexts m_contexts;
};

}  // namespace os1::companion
