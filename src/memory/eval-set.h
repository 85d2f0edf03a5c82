// A synthetic evaluation set for recall: multi-session conversations over months in which the
// user mentions facts, preferences, changes and dated events, plus questions whose evidence
// turns are known. Deterministic: the same seed gives the same set on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memory/memory.h"

namespace os1::memory {

struct EvalQuestion {
    std::string question;
    std::string category;               // single-hop, multi-hop, temporal, knowledge-update, preference,
                                        // conversational
    int64_t asked_at = 0;               // the reference time for the search (--at)
    std::vector<std::string> evidence;  // source ids of the turns that answer it
    std::string answer;
};

struct EvalSet {
    std::vector<EpisodeInput> turns;  // in time order
    std::vector<EvalQuestion> questions;
};

struct EvalSetOptions {
    int sessions = 60;           // one session every two to four days
    int filler_per_session = 6;  // small-talk turns around the planted ones
    int64_t start = 1704672000;  // 2024-01-08T00:00:00Z
};

EvalSet generate_eval_set(uint64_t seed, const EvalSetOptions& options = {});

// The set's days and months are UTC ones (its "in May" means a UTC May): search it in this zone,
// so that results do not depend on the zone of the machine.
UtcOffset eval_set_zone();

// `count` small-talk turns spread over [begin, end), ids "<prefix><n>", for scale tests.
std::vector<EpisodeInput> generate_filler_turns(uint64_t seed, size_t count, int64_t begin, int64_t end,
                                                const std::string& prefix);

}  // namespace os1::memory
