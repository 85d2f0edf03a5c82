// What the companion learns from one committed exchange, with the model, off the hot path: its
// own appraisal of the user's message (blended into the mood), facts and core-memory edits from
// the exchange (dated in the user's zone), the journal entry still waiting for its words, and a
// reflection when one is due (a failed one is retried by a later job). It runs on the host's
// background queue at background priority; each step's failure is reported and the next step
// still runs.
#pragma once

#include <string>
#include <vector>

#include "affect/mood.h"
#include "core/error.h"
#include "llm/llm.h"
#include "memory/memory.h"

namespace os1::companion {

struct UserSession;

struct LearningJob {
    std::vector<memory::EpisodeInput> exchange;  // the stored user turn and reply ("turn:<id>")
    std::string instructions;                    // what the model was told as persona and instructions
    std::string companion_name;
    std::string user_text;
    affect::Timestamp message_at;  // when the user's message was observed
};

// Runs every step for `user`; the error lists the steps that failed.
ErrorOr<void> learn_from_exchange(llm::Backend& backend, UserSession& user, const LearningJob& job);

}  // namespace os1::companion
