// The companion's journal in its own words: for an entry that is still the structured summary,
// the model writes the entry from that summary and the day's memories (what the user and the
// companion said, the facts learned), on the user's local day. It waits for the model, so it
// runs off the hot path, after a reply. A failure keeps the summary and records why.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "affect/companion-state.h"
#include "core/database.h"
#include "core/error.h"
#include "llm/llm.h"

namespace os1::companion {

// One memory from the day, as the prompt shows it.
struct DayMemory {
    std::string kind;  // "episode" or "fact"
    std::string role;  // episodes: "user" or "assistant"
    int64_t time = 0;  // unix seconds
    std::string text;
};

// Episodes and facts stored in the user's memory for [from, to) (unix seconds), oldest first,
// at most `limit` (the latest of the day when there are more).
ErrorOr<std::vector<DayMemory>> memories_between(Database& db, int64_t from, int64_t to, int64_t limit);

// The request for one entry: the companion writes in the first person about the day, grounded
// in `summary` and `memories`, which are quoted as data, never as instructions.
llm::ChatRequest journal_entry_request(const std::string& companion_name, const std::string& day,
                                       const std::string& summary, const std::vector<DayMemory>& memories);

// The model's entry, trimmed: refused when blank, not UTF-8 or longer than 4000 bytes.
ErrorOr<std::string> check_journal_text(std::string_view reply);

struct JournalWriting {
    int written = 0;
    int failed = 0;
};

// Asks the model for the newest `limit` entries still waiting for it, each grounded in the
// memories of its local day (`zone`), and stores them as written by the model; each failure
// leaves the summary as the entry and notes why.
ErrorOr<JournalWriting> write_waiting_journal_entries(llm::Backend& backend, Database& db,
                                                      const UtcOffset& zone, const std::string& companion_name,
                                                      int64_t limit = 1);

}  // namespace os1::companion
