// Reflection, as in Generative Agents: when enough important memories have piled up since the
// last reflection, the model reads them (each with its memory id) and writes a few insights,
// each citing the memories it was drawn from. The grammar guarantees the shape; the checks
// here reject what is well-formed but wrong (unknown or missing sources, instructions, text
// copied from the system prompt, repeats of earlier reflections).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "llm/llm.h"
#include "memory/memory.h"
#include "memory/model-output-checks.h"
#include "memory/text-util.h"

namespace os1::memory {

// Bounded repetitions keep every answer the grammar allows short enough to finish.
const char* const reflection_grammar =
    R"gbnf(root ::= "{" ws "\"insights\"" ws ":" ws "[" ws (insight (ws "," ws insight){0,2})? ws "]" ws "}"
insight ::= "{" ws "\"text\"" ws ":" ws text ws "," ws "\"importance\"" ws ":" ws importance ws "," ws "\"sources\"" ws ":" ws "[" ws (id (ws "," ws id){0,7})? ws "]" ws "}"
text ::= "\"" char{1,200} "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" ["\\/nt]
importance ::= "0" ("." [0-9]{1,3})? | "1" (".0")?
id ::= [1-9] [0-9]{0,11}
ws ::= [ \t\n]{0,4}
)gbnf";

namespace {

constexpr const char* reflection_columns =
    "id, kind, text, time, importance, source_id, conversation, speaker, role, subject, predicate, valid_to, "
    "superseded_by";

std::set<std::string> word_set(std::string_view text) {
    auto w = words(text);
    return std::set<std::string>(w.begin(), w.end());
}

// Near-repeats: the same words, give or take one in five.
bool repeats(const std::set<std::string>& a, const std::set<std::string>& b) {
    if (a.empty() || b.empty())
        return false;
    size_t shared = 0;
    for (const std::string& word : a)
        shared += b.count(word);
    size_t united = a.size() + b.size() - shared;
    return shared * 5 >= united * 4;
}

std::string memory_line(const Memory& m) {
    std::string who = m.kind == Kind::Fact ? "fact" : m.role == "user" ? "the user said" : m.role + " said";
    return "[" + std::to_string(m.id) + "] " + who + ": " + m.text;
}

}  // namespace

ErrorOr<double> MemoryStore::importance_since_reflection() {
    auto q =
        OS1_TRY(m_db.prepare("SELECT coalesce(sum(importance), 0) FROM memories WHERE kind != 'reflection' "
                             "AND id > (SELECT last_memory_id FROM reflection_marker WHERE id = 1)"));
    OS1_TRY(q.step());
    return double(q.column_int(0)) / 1000.0;
}

namespace {

// The row of reflection_marker beyond the marker itself.
struct TryState {
    int attempts = 0;
    int64_t claim = 0;
    std::optional<int64_t> claimed_through;
    std::optional<int64_t> next_attempt_at;
};

ErrorOr<TryState> read_try_state(Database& db) {
    auto q = OS1_TRY(
        db.prepare("SELECT attempts, claim, claimed_through, next_attempt_at FROM reflection_marker WHERE id = 1"));
    if (!OS1_TRY(q.step()))
        return make_error(ErrorKind::Corrupt, "reflection: the marker row is missing");
    TryState state;
    state.attempts = int(q.column_int(0));
    state.claim = q.column_int(1);
    if (!q.column_is_null(2))
        state.claimed_through = q.column_int(2);
    if (!q.column_is_null(3))
        state.next_attempt_at = q.column_int(3);
    return state;
}

// Moves the marker past `through` and clears the tries: after a success, or when they are given up.
ErrorOr<void> move_marker_past(Database& db, int64_t through) {
    auto q =
        OS1_TRY(db.prepare("UPDATE reflection_marker SET last_memory_id = max(last_memory_id, ?), attempts = 0, "
                           "claimed_through = NULL, next_attempt_at = NULL WHERE id = 1"));
    return q.bind(1, through).run();
}

// The wait after the `attempt`-th failed try: first_retry_delay_seconds, four times longer each time.
int64_t retry_delay(const ReflectionOptions& options, int attempt) {
    int64_t delay = std::max<int64_t>(options.first_retry_delay_seconds, 0);
    for (int i = 1; i < attempt && delay < int64_t(1) << 40; ++i)
        delay *= 4;
    return delay;
}

}  // namespace

ErrorOr<std::optional<ReflectionClaim>> MemoryStore::claim_reflection(const ReflectionOptions& options, int64_t now) {
    std::optional<ReflectionClaim> claimed;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        // Inside BEGIN IMMEDIATE: a second process waits here and then sees this try recorded.
        TryState state = OS1_TRY(read_try_state(m_db));
        if (state.next_attempt_at && now < *state.next_attempt_at)
            return {};  // a try is running, or a failed one waits for its retry
        if (state.claimed_through && state.attempts >= options.max_attempts) {
            // The last try allowed never ended (its process stopped): its memories are given up.
            OS1_TRY(move_marker_past(m_db, *state.claimed_through));
            state.attempts = 0;
        }
        if (OS1_TRY(importance_since_reflection()) < options.threshold)
            return {};
        auto q = OS1_TRY(m_db.prepare(
            std::string("SELECT ") + reflection_columns +
            " FROM memories WHERE kind IN ('episode', 'fact') AND valid_to IS NULL "
            "AND id > (SELECT last_memory_id FROM reflection_marker WHERE id = 1) ORDER BY id DESC LIMIT ?"));
        q.bind(1, int64_t(options.max_memories));
        std::vector<Memory> memories = OS1_TRY(read_memories(q));
        std::reverse(memories.begin(), memories.end());
        auto newest = OS1_TRY(m_db.prepare("SELECT coalesce(max(id), 0) FROM memories"));
        OS1_TRY(newest.step());
        const int64_t through = newest.column_int(0);
        if (memories.empty())  // only superseded facts since the marker: nothing to reflect on
            return move_marker_past(m_db, through);

        ReflectionClaim claim;
        claim.memories = std::move(memories);
        claim.claim = state.claim + 1;
        claim.through = through;
        claim.attempt = state.attempts + 1;
        auto record =
            OS1_TRY(m_db.prepare("UPDATE reflection_marker SET attempts = ?, claim = ?, claimed_through = ?, "
                                 "next_attempt_at = ? WHERE id = 1"));
        OS1_TRY(record.bind(1, int64_t(claim.attempt))
                    .bind(2, claim.claim)
                    .bind(3, claim.through)
                    .bind(4, now + std::max<int64_t>(options.attempt_timeout_seconds, 0))
                    .run());
        claimed = std::move(claim);
        return {};
    }));
    return claimed;
}

ErrorOr<void> MemoryStore::complete_reflection(const ReflectionClaim& claim) {
    return in_transaction(m_db, [&]() -> ErrorOr<void> {
        const TryState state = OS1_TRY(read_try_state(m_db));
        if (state.claim != claim.claim || !state.claimed_through)
            return {};  // no longer the latest try: the one that is decides
        return move_marker_past(m_db, claim.through);
    });
}

ErrorOr<ReflectionRetry> MemoryStore::fail_reflection(const ReflectionClaim& claim, const ReflectionOptions& options,
                                                      int64_t now) {
    ReflectionRetry retry;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        const TryState state = OS1_TRY(read_try_state(m_db));
        retry.attempt = state.attempts;
        if (state.claim != claim.claim || !state.claimed_through) {
            retry.retry_at = state.next_attempt_at.value_or(now);  // the latest try decides
            return {};
        }
        if (state.attempts >= options.max_attempts)
            return move_marker_past(m_db, claim.through);
        retry.retry_at = now + retry_delay(options, state.attempts);
        auto q = OS1_TRY(
            m_db.prepare("UPDATE reflection_marker SET claimed_through = NULL, next_attempt_at = ? WHERE id = 1"));
        return q.bind(1, *retry.retry_at).run();
    }));
    return retry;
}

ErrorOr<ReflectionResult> MemoryStore::store_reflections(std::string_view json, const std::vector<int64_t>& shown,
                                                         std::string_view system_prompt, int64_t now) {
    if (!is_valid_utf8(json))
        return make_error("reflection: the model output is not valid UTF-8");
    nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded())
        return make_error("reflection: the model output is not JSON");
    if (!doc.is_object() || !doc.contains("insights") || !doc["insights"].is_array())
        return make_error("reflection: the model output has no \"insights\" array");

    ReflectionResult result;
    result.ran = true;
    result.shown = shown;
    const std::set<int64_t> allowed(shown.begin(), shown.end());
    const PromptCopyCheck prompt(system_prompt);
    std::vector<std::pair<int64_t, std::set<std::string>>> existing;
    for (const Memory& m : OS1_TRY(list(Kind::Reflection, 1000)))
        existing.push_back({m.id, word_set(m.text)});

    size_t index = 0;
    for (const nlohmann::json& item : doc["insights"]) {
        ++index;
        const std::string where = "insight " + std::to_string(index) + ": ";
        auto reject = [&](const std::string& why) { result.rejected.push_back(where + why); };
        if (!item.is_object()) {
            reject("not an object");
            continue;
        }
        auto text_field = item.find("text");
        if (text_field == item.end() || !text_field->is_string() || trim(text_field->get<std::string>()).empty()) {
            reject("text must be a non-empty string");
            continue;
        }
        const std::string text = trim(text_field->get<std::string>());
        if (!is_valid_utf8(text)) {
            reject("text is not valid UTF-8");
            continue;
        }
        if (text.size() > max_reflection_bytes) {
            reject("text of " + std::to_string(text.size()) + " bytes is over the limit of " +
                   std::to_string(max_reflection_bytes));
            continue;
        }
        auto importance = item.find("importance");
        if (importance == item.end() || !importance->is_number()) {
            reject("importance is missing or not a number");
            continue;
        }
        const double value = importance->get<double>();
        if (!(value >= 0.0 && value <= 1.0)) {
            reject("importance " + importance->dump() + " is outside [0, 1]");
            continue;
        }
        auto listed = item.find("sources");
        if (listed == item.end() || !listed->is_array() || listed->empty()) {
            reject("names no source memories; an insight must cite the memories it was drawn from");
            continue;
        }
        std::vector<int64_t> sources;
        std::string bad_source;
        for (const nlohmann::json& source : *listed) {
            if (!source.is_number_integer() || !allowed.count(source.get<int64_t>())) {
                bad_source = source.dump();
                break;
            }
            if (std::find(sources.begin(), sources.end(), source.get<int64_t>()) == sources.end())
                sources.push_back(source.get<int64_t>());
        }
        if (!bad_source.empty()) {
            reject("source " + bad_source + " was not among the memories shown");
            continue;
        }
        if (is_instruction(text)) {
            reject("reads as an instruction, not an insight: \"" + text + "\"");
            continue;
        }
        if (prompt.copied(text)) {
            reject("is copied from the system prompt: \"" + text + "\"");
            continue;
        }
        const std::set<std::string> these_words = word_set(text);
        auto same = std::find_if(existing.begin(), existing.end(),
                                 [&](const auto& other) { return repeats(these_words, other.second); });
        if (same != existing.end()) {
            reject("repeats reflection " + std::to_string(same->first) + ": \"" + text + "\"");
            continue;
        }
        auto stored = add_reflection(text, value, sources, now);
        if (stored.is_error()) {
            reject(stored.error().message);
            continue;
        }
        result.stored.push_back(stored.value());
        existing.push_back({stored.value(), these_words});
    }
    return result;
}

namespace {

// "try 1 of 4 failed; the next may start at 2026-03-10T02:40:00Z", or that the memories were given up.
std::string retry_text(const ReflectionRetry& retry, const ReflectionOptions& options) {
    if (!retry.retry_at)
        return "given up after " + std::to_string(retry.attempt) +
               " tries; reflection starts again from the memories stored after these";
    return "try " + std::to_string(retry.attempt) + " of " + std::to_string(options.max_attempts) +
           " failed; the next may start at " + format_iso8601(*retry.retry_at);
}

}  // namespace

ErrorOr<ReflectionResult> reflect_if_due(llm::Backend& backend, MemoryStore& store, std::string_view system_prompt,
                                         int64_t now, const ReflectionOptions& options) {
    auto claim = OS1_TRY(store.claim_reflection(options, now));
    if (!claim)
        return ReflectionResult{};

    std::string listing;
    std::vector<int64_t> shown;
    for (const Memory& m : claim->memories) {
        listing += memory_line(m) + "\n";
        shown.push_back(m.id);
    }
    llm::ChatRequest request = llm::task_request(
        "You reflect on what you remember about the user. Below are memories, each with its id in brackets. "
        "Write at most three high-level insights about the user that these memories support together (their "
        "values, habits, relationships, worries, plans). Each insight cites the ids of the memories it is drawn "
        "from. Reply with JSON only: {\"insights\":[{\"text\":\"The user cares deeply about their sister.\","
        "\"importance\":0.7,\"sources\":[12,15]}]}. Importance is between 0 and 1. Do not repeat a single "
        "memory, do not write instructions, and return {\"insights\":[]} when nothing stands out.",
        listing, reflection_grammar, 768);
    llm::ReplyStats stats;
    auto reply = backend.submit(std::move(request))->collect(&stats);
    if (reply.is_error()) {
        const ReflectionRetry retry = OS1_TRY(store.fail_reflection(*claim, options, now));
        return make_error(reply.error().kind,
                          "reflection: the model failed: " + reply.error().message + "; " + retry_text(retry, options));
    }

    auto stored = store.store_reflections(reply.value(), shown, system_prompt, now);
    if (stored.is_error()) {
        // The model's answer was unusable (cut off, or not JSON): nothing is stored, and the
        // memories keep their importance for the next try.
        const ReflectionRetry retry = OS1_TRY(store.fail_reflection(*claim, options, now));
        ReflectionResult result;
        result.ran = true;
        result.shown = shown;
        result.attempt = claim->attempt;
        result.failed = retry;
        result.rejected.push_back(stored.error().message + " (stopped: " + llm::to_string(stats.stop_reason) +
                                  " after " + std::to_string(stats.generated_tokens) + " tokens); nothing stored; " +
                                  retry_text(retry, options));
        return result;
    }
    // Should the process stop right here, the next try finds these insights stored and rejects
    // their repeats, so nothing is stored twice.
    OS1_TRY(store.complete_reflection(*claim));
    stored->attempt = claim->attempt;
    return stored;
}

}  // namespace os1::memory
