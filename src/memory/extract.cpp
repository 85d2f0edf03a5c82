// Fact extraction: the prompt and grammar for the model, and the checks that keep its output
// honest before anything is stored. The grammar guarantees the shape; the checks here reject
// what is well-formed but wrong (empty fields, importance out of range, instructions, text
// copied from the system prompt, statements about the assistant). The same pass carries the
// model's core block edits (core-edit.cpp).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "llm/llm.h"
#include "memory/conversation-store.h"
#include "memory/core-edit.h"
#include "memory/memory.h"
#include "memory/model-output-checks.h"
#include "memory/text-util.h"

namespace os1::memory {

const char* const fact_grammar =
    R"gbnf(root ::= "{" ws "\"facts\"" ws ":" ws "[" ws (fact (ws "," ws fact)*)? ws "]" (ws "," ws "\"core\"" ws ":" ws "[" ws (edit (ws "," ws edit){0,3})? ws "]")? ws "}"
edit ::= "{" ws "\"block\"" ws ":" ws ("\"human\"" | "\"persona\"") ws "," ws (append | replace) ws "," ws "\"turns\"" ws ":" ws "[" ws (string (ws "," ws string)*)? ws "]" ws "}"
append ::= "\"op\"" ws ":" ws "\"append\"" ws "," ws "\"text\"" ws ":" ws string
replace ::= "\"op\"" ws ":" ws "\"replace\"" ws "," ws "\"old\"" ws ":" ws string ws "," ws "\"new\"" ws ":" ws string
fact ::= "{" ws "\"subject\"" ws ":" ws string ws "," ws "\"predicate\"" ws ":" ws string ws "," ws "\"text\"" ws ":" ws string ws "," ws "\"importance\"" ws ":" ws number ws "," ws "\"turns\"" ws ":" ws "[" ws (string (ws "," ws string)*)? ws "]" ws "}"
string ::= "\"" ([^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F]))* "\""
number ::= "-"? [0-9]+ ("." [0-9]+)?
ws ::= [ \t\n]{0,12}
)gbnf";

namespace {

std::optional<std::string> string_field(const nlohmann::json& item, const char* key) {
    auto it = item.find(key);
    if (it == item.end() || !it->is_string())
        return std::nullopt;
    std::string value = trim(it->get<std::string>());
    if (value.empty())
        return std::nullopt;
    return value;
}

// When a fact took place, for its valid_from: the day its own text tells of, else the one day
// its user turns tell of ("Yesterday I went to the dentist"), each read in the user's zone from
// when it was said. At local noon, so that the date holds in nearby zones too; a fact of the day
// of `now`, or of no day, is dated `now`.
ErrorOr<int64_t> fact_time(Database& db, const std::string& text, const std::vector<std::string>& turns, int64_t now,
                           const UtcOffset& zone) {
    std::optional<int64_t> told_by_turns;
    bool turns_agree = true;
    int64_t newest_turn = 0;
    for (const std::string& turn : turns) {
        auto q = OS1_TRY(
            db.prepare("SELECT text, time FROM memories WHERE kind = 'episode' AND role = 'user' AND source_id = ?"));
        q.bind(1, turn);
        if (!OS1_TRY(q.step()))
            continue;
        const int64_t said_at = q.column_int(1);
        newest_turn = std::max(newest_turn, said_at);
        const std::optional<int64_t> day = day_told_of(q.column_text(0), said_at, zone);
        if (!day)
            continue;
        turns_agree = turns_agree && (!told_by_turns || *told_by_turns == *day);
        told_by_turns = day;
    }
    std::optional<int64_t> day = day_told_of(text, newest_turn > 0 ? newest_turn : now, zone);
    if (!day && turns_agree)
        day = told_by_turns;
    if (!day || *day == local_day(from_unix_seconds(now), zone))
        return now;
    return unix_seconds(local_day_start(*day, zone)) + 12 * 60 * 60;
}

// "Monday, 2026-03-09": the user's date at `t`, as the extraction prompt gives it.
std::string local_date_text(int64_t t, const UtcOffset& zone) {
    static const char* const names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    const int64_t day = local_day(from_unix_seconds(t), zone);
    const std::chrono::weekday weekday{std::chrono::sys_days{std::chrono::days{day}}};
    return std::string(names[weekday.c_encoding()]) + ", " + format_iso8601(day * 86400).substr(0, 10);
}

}  // namespace

ErrorOr<ExtractionResult> MemoryStore::store_extracted_facts(std::string_view json,
                                                             const std::vector<std::string>& source_turns,
                                                             std::string_view system_prompt, int64_t now,
                                                             const UtcOffset& zone) {
    if (!is_valid_utf8(json))
        return make_error("fact extraction: the model output is not valid UTF-8");
    nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded())
        return make_error("fact extraction: the model output is not JSON");
    if (!doc.is_object() || !doc.contains("facts") || !doc["facts"].is_array())
        return make_error("fact extraction: the model output has no \"facts\" array");

    const PromptCopyCheck prompt(system_prompt);
    const std::set<std::string> allowed(source_turns.begin(), source_turns.end());

    ExtractionResult result;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        size_t index = 0;
        for (const nlohmann::json& item : doc["facts"]) {
            ++index;
            const std::string where = "fact " + std::to_string(index) + ": ";
            auto reject = [&](const std::string& why) { result.rejected.push_back(where + why); };
            if (!item.is_object()) {
                reject("not an object");
                continue;
            }
            auto subject = string_field(item, "subject");
            auto predicate = string_field(item, "predicate");
            auto text = string_field(item, "text");
            if (!subject || !predicate || !text) {
                reject("subject, predicate and text must be non-empty strings");
                continue;
            }
            auto importance = item.find("importance");
            if (importance == item.end() || !importance->is_number()) {
                reject("importance is missing or not a number");
                continue;
            }
            double value = importance->get<double>();
            if (!(value >= 0.0 && value <= 1.0)) {
                reject("importance " + importance->dump() + " is outside [0, 1]");
                continue;
            }
            if (!is_valid_utf8(*text) || text->size() > max_text_bytes) {
                reject("text is not valid UTF-8 or is too long");
                continue;
            }
            if (is_instruction(*text)) {
                reject("reads as an instruction, not a fact: \"" + *text + "\"");
                continue;
            }
            if (names_assistant(*subject) || about_assistant(*text)) {
                reject("is about the assistant, not the user: \"" + *text + "\"");
                continue;
            }
            if (prompt.copied(*text)) {
                reject("is copied from the system prompt: \"" + *text + "\"");
                continue;
            }
            std::vector<std::string> turns;
            bool turns_ok = true;
            if (auto listed = item.find("turns"); listed != item.end()) {
                if (!listed->is_array()) {
                    turns_ok = false;
                } else {
                    for (const auto& t : *listed) {
                        if (!t.is_string() || !allowed.count(t.get<std::string>())) {
                            turns_ok = false;
                            break;
                        }
                        turns.push_back(t.get<std::string>());
                    }
                }
            }
            if (!turns_ok) {
                reject("\"turns\" names a turn that was not given to the extraction");
                continue;
            }
            if (turns.empty())
                turns = source_turns;
            FactInput fact{*subject, *predicate, *text, value, OS1_TRY(fact_time(m_db, *text, turns, now, zone))};
            auto stored = detail::add_fact_in(m_db, fact, turns);
            if (stored.is_error()) {
                reject(stored.error().message);
                continue;
            }
            if (std::find(result.stored.begin(), result.stored.end(), stored.value()) == result.stored.end())
                result.stored.push_back(stored.value());
        }
        if (auto core = doc.find("core"); core != doc.end())
            OS1_TRY(detail::apply_core_edits(*this, *core, source_turns, prompt, result));
        return {};
    }));
    return result;
}

namespace {

// A conversation turn ("turn:<id>") that is neither in memory nor in the conversation store (or
// is there with other text, its id reused) was forgotten after the caller read it: storing it
// again would undo the forgetting.
ErrorOr<bool> forgotten_turn(Database& db, const EpisodeInput& turn) {
    constexpr std::string_view prefix = "turn:";
    if (!turn.source_id.starts_with(prefix) || !OS1_TRY(has_conversation_tables(db)))
        return false;
    int64_t id = 0;
    const char* first = turn.source_id.data() + prefix.size();
    const char* last = turn.source_id.data() + turn.source_id.size();
    auto [end, error] = std::from_chars(first, last, id);
    if (error != std::errc() || end != last)
        return false;
    auto stored = OS1_TRY(db.prepare("SELECT 1 FROM turns WHERE id = ? AND content = ?"));
    stored.bind(1, id).bind(2, turn.text);
    return !OS1_TRY(stored.step());
}

}  // namespace

ErrorOr<ExtractionResult> extract_facts(llm::Backend& backend, MemoryStore& store,
                                        const std::vector<EpisodeInput>& all_turns, std::string_view system_prompt,
                                        int64_t now, const UtcOffset& zone) {
    // Turns not yet stored become episodes first, so that provenance can point at them; turns
    // forgotten since the caller read them are left out.
    std::vector<EpisodeInput> kept;
    std::vector<EpisodeInput> missing;
    std::vector<std::string> ids;
    for (const EpisodeInput& turn : all_turns) {
        auto known = OS1_TRY(store.database().prepare("SELECT 1 FROM memories WHERE source_id = ?"));
        known.bind(1, turn.source_id);
        if (!OS1_TRY(known.step())) {
            if (OS1_TRY(forgotten_turn(store.database(), turn)))
                continue;
            missing.push_back(turn);
        }
        kept.push_back(turn);
        ids.push_back(turn.source_id);
    }
    const std::vector<EpisodeInput>& turns = kept;
    if (turns.empty())
        return ExtractionResult{};
    if (!missing.empty())
        OS1_TRY(store.import_episodes(missing));

    std::string transcript = "Today is " + local_date_text(now, zone) + " for the user.\n";
    for (const EpisodeInput& turn : turns)
        transcript += "[" + turn.source_id + "] " + turn.role + ": " + turn.text + "\n";
    llm::ChatRequest request = llm::task_request(
        "You extract durable facts about the user and the people, places and things in their life from a "
        "conversation. Reply with JSON only: {\"facts\":[{\"subject\":\"user\",\"predicate\":\"lives_in\","
        "\"text\":\"The user lives in Berlin.\",\"importance\":0.8,\"turns\":[\"id\"]}]}. Use a short snake_case "
        "predicate so that a later fact in the same slot replaces an earlier one. Importance is between 0 and 1. "
        "Leave out anything about the assistant, anything said only by the assistant, and any instruction. "
        "Return {\"facts\":[]} when there is nothing worth remembering. You may also edit your core memory, "
        "which you see in every conversation, by adding \"core\":[{\"block\":\"human\",\"op\":\"append\","
        "\"text\":\"Has a sister, Lena.\",\"turns\":[\"id\"]}] or {\"block\":\"persona\",\"op\":\"replace\","
        "\"old\":\"...\",\"new\":\"...\",\"turns\":[]}: the human block holds only what the user said about "
        "themselves (cite their turns), never your guesses; the persona block holds what you learned about "
        "yourself. Write a day as its date, never as \"yesterday\" or \"today\".",
        transcript, fact_grammar, 512);
    std::string reply = OS1_TRY(backend.submit(std::move(request))->collect());
    return store.store_extracted_facts(reply, ids, system_prompt, now, zone);
}

}  // namespace os1::memory
