// Feelings work that needs the model, done after the reply on the companion's background thread
// so that no reply waits for it: the model's appraisal of the last user message, and journal
// entries in the model's words. The appraisal comes back to the conversation thread, which owns
// CompanionState, through apply(). Thread-safe: run() on the background thread, apply() on the
// conversation thread.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "affect/companion-state.h"
#include "core/error.h"
#include "llm/llm.h"

namespace os1::companion {

class AffectFollowUp {
public:
    struct Job {
        std::string text;              // the user's last message
        affect::Timestamp message_at;  // when CompanionState observed it
        std::string companion_name;
        affect::UtcOffset zone;  // the user's time zone, for the journal's days
    };

    // Background thread: asks the model for its appraisal of the message and keeps the outcome
    // for apply(); then writes the newest journal entry still waiting for the model, through its
    // own connection to <user_dir>/os1.db.
    void run(llm::Backend& backend, const std::filesystem::path& user_dir, const Job& job);

    // Conversation thread: takes in the appraisal that has arrived, if any (blended into the
    // mood, or logged as rejected or stale). Never waits for the model.
    ErrorOr<void> apply(affect::CompanionState& feelings);

private:
    struct Outcome {
        affect::Timestamp message_at;
        std::optional<affect::Appraisal> appraisal;
        std::string rejection;
    };
    std::mutex m_mutex;
    std::optional<Outcome> m_outcome;
};

}  // namespace os1::companion
