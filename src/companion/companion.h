// The turn pipeline around the model: before a reply, the user's message is appraised (mood,
// relationship) and memories are recalled; the prompt is composed from the persona card, the
// core memory blocks, the companion's mood and relationship, the recalled memories and the
// recent turns. After a reply, the turns are copied into long-term memory, and facts and core
// block edits are extracted (and a reflection is made when one is due) on a background thread,
// so the reply is never delayed.
//
// Not thread-safe: one Companion per conversation thread (it owns a background worker).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "llm/llm.h"
#include "memory/conversation-store.h"
#include "memory/memory.h"
#include "persona/onboarding.h"

namespace os1::companion {

using persona::CompanionName;

struct CompanionOptions {
    std::string system_prompt;     // replaces the persona card's prompt when not empty
    size_t recall_budget_tokens = 300;
    int recall_k = 5;
    bool extract_facts = true;     // run fact extraction after each reply (needs a backend)
    // Dense recall: memories get vectors from this model and recall fuses them with BM25.
    std::shared_ptr<llm::Embedder> embedder;
    // Reflect once the importance stored since the last reflection reaches this (see memory.h).
    double reflection_threshold = memory::default_reflection_threshold;
};

class Companion {
public:
    static ErrorOr<std::unique_ptr<Companion>> open(const std::filesystem::path& user_dir, CompanionOptions options);
    ~Companion();

    // The companion's name: chosen at onboarding, else the persona card's.
    std::string name() const;

    // First run: true until the onboarding interview has been completed and saved.
    bool needs_onboarding() const;
    // Finishes onboarding: the companion chooses its name (with `backend` when given, else
    // without a model) and remembers it, the reason, and the answers.
    ErrorOr<CompanionName> finish_onboarding(persona::Onboarding onboarding, llm::Backend* backend);

    // Appraises the user's message, moves mood and relationship, and recalls memories for it.
    ErrorOr<void> observe_user(const std::string& text);
    // The messages for the next reply: the composed system prompt, then the turns.
    ErrorOr<std::vector<llm::Message>> compose(const std::vector<memory::Turn>& turns);
    // Sampling nudged by the mood (a livelier mood samples a little warmer).
    llm::SamplingParams adjust(llm::SamplingParams base) const;
    // After the reply is stored: copies new turns into memory, then extracts facts from the
    // last exchange on a background thread (which `backend` must outlive).
    void after_reply(llm::Backend* backend);

    // What shaped the last reply: the memories recalled for it.
    const std::vector<memory::Hit>& last_recall() const { return m_last_recall; }
    std::string mood_report() const;
    ErrorOr<std::string> journal_report(int64_t limit);
    // Stores a fact the user asked to be remembered; returns its memory id.
    ErrorOr<int64_t> remember(const std::string& text);
    ErrorOr<bool> forget(int64_t id);

    Companion(const Companion&) = delete;
    Companion& operator=(const Companion&) = delete;

private:
    struct State;
    explicit Companion(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
    std::vector<memory::Hit> m_last_recall;
};

}  // namespace os1::companion
