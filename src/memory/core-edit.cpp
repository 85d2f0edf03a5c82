// The companion's memory tools (as in Letta): during fact extraction the model may append to or
// replace text in the core blocks "human" (what it knows about the user) and "persona" (what it
// knows about itself). The human block is shown in every prompt, so it only takes what the user
// said: an edit must cite user turns whose words support it, and guesses, instructions,
// statements about the assistant and passages of the system prompt are refused.
#include "memory/core-edit.h"

#include <algorithm>
#include <set>

#include "memory/text-util.h"

namespace os1::memory::detail {

namespace {

struct CitedTurn {
    std::string role;
    std::string text;
};

// Words that carry no content of their own, for the support check.
bool is_filler(const std::string& word) {
    static const std::set<std::string> filler = {
        "the",  "a",    "an",    "and",   "or",    "but",   "of",   "to",     "in",   "on",   "at",   "for",
        "with", "is",   "are",   "was",   "were",  "be",    "been", "has",    "have", "had",  "do",   "does",
        "did",  "user", "users", "their", "they",  "them",  "he",   "she",    "his",  "her",  "him",  "it",
        "its",  "that", "this",  "who",   "which", "s",     "as",   "by",     "from", "very", "also", "now",
        "not",  "no",   "i",     "my",    "me",    "likes", "like", "called", "named"};
    return filler.count(word) > 0;
}

// True when `word` occurs in `said`, allowing for simple inflection ("works" matches "work",
// "collects" matches "collecting"): a shared start of at least four letters that covers the
// shorter word or five letters of it.
bool occurs(const std::string& word, const std::set<std::string>& said) {
    if (said.count(word))
        return true;
    return std::any_of(said.begin(), said.end(), [&](const std::string& w) {
        size_t shared = 0;
        while (shared < w.size() && shared < word.size() && w[shared] == word[shared])
            ++shared;
        return shared >= 4 && shared >= std::min<size_t>(5, std::min(w.size(), word.size()));
    });
}

// Half or more of the content words of `text` occur in what the user said.
bool supported_by(const std::string& text, const std::vector<CitedTurn>& turns) {
    std::set<std::string> said;
    for (const CitedTurn& turn : turns)
        if (turn.role == "user")
            for (std::string& w : words(turn.text))
                said.insert(std::move(w));
    size_t content = 0, found = 0;
    for (const std::string& w : words(text)) {
        if (is_filler(w))
            continue;
        ++content;
        found += occurs(w, said);
    }
    return content > 0 && found * 2 >= content;
}

std::optional<std::string> string_of(const nlohmann::json& item, const char* key) {
    auto it = item.find(key);
    if (it == item.end() || !it->is_string())
        return std::nullopt;
    return trim(it->get<std::string>());
}

std::string in_quotes(const std::string& text) {
    return "\"" + text + "\"";
}

}  // namespace

ErrorOr<void> apply_core_edits(MemoryStore& store, const nlohmann::json& edits,
                               const std::vector<std::string>& source_turns, const PromptCopyCheck& prompt,
                               ExtractionResult& result) {
    if (!edits.is_array()) {
        result.rejected.push_back("core: not an array of edits");
        return {};
    }
    const std::set<std::string> allowed(source_turns.begin(), source_turns.end());
    size_t index = 0;
    for (const nlohmann::json& edit : edits) {
        ++index;
        const std::string where = "core edit " + std::to_string(index) + ": ";
        auto reject = [&](const std::string& why) { result.rejected.push_back(where + why); };
        if (!edit.is_object()) {
            reject("not an object");
            continue;
        }
        auto block = string_of(edit, "block");
        auto op = string_of(edit, "op");
        if (!block || (*block != "human" && *block != "persona")) {
            reject("block must be \"human\" or \"persona\"");
            continue;
        }
        if (!op || (*op != "append" && *op != "replace")) {
            reject("op must be \"append\" or \"replace\"");
            continue;
        }
        std::optional<std::string> text = string_of(edit, *op == "append" ? "text" : "new");
        std::optional<std::string> old_text = string_of(edit, "old");
        if (!text || text->empty()) {
            reject(*op == "append" ? "text must be a non-empty string" : "new must be a non-empty string");
            continue;
        }
        if (*op == "replace" && (!old_text || old_text->empty())) {
            reject("old must name the text to replace");
            continue;
        }
        if (!is_valid_utf8(*text) || (old_text && !is_valid_utf8(*old_text))) {
            reject("text is not valid UTF-8");
            continue;
        }
        if (text->size() > core_block_limit) {
            reject("text of " + std::to_string(text->size()) + " bytes is over the block's limit of " +
                   std::to_string(core_block_limit));
            continue;
        }
        if (is_instruction(*text)) {
            reject("reads as an instruction: " + in_quotes(*text));
            continue;
        }
        if (prompt.copied(*text)) {
            reject("is copied from the system prompt: " + in_quotes(*text));
            continue;
        }

        std::vector<CitedTurn> cited;
        bool turns_ok = true;
        if (auto listed = edit.find("turns"); listed != edit.end()) {
            if (!listed->is_array())
                turns_ok = false;
            else
                for (const nlohmann::json& t : *listed) {
                    if (!t.is_string() || !allowed.count(t.get<std::string>())) {
                        turns_ok = false;
                        break;
                    }
                    auto q = OS1_TRY(store.database().prepare("SELECT role, text FROM memories WHERE source_id = ?"));
                    q.bind(1, t.get<std::string>());
                    if (OS1_TRY(q.step()))
                        cited.push_back({q.column_text(0), q.column_text(1)});
                }
        }
        if (!turns_ok) {
            reject("\"turns\" names a turn that was not given to the extraction");
            continue;
        }
        if (*block == "human") {
            if (about_assistant(*text)) {
                reject("is about the assistant, not the user: " + in_quotes(*text));
                continue;
            }
            if (is_guess(*text)) {
                reject("is a guess, not something the user said: " + in_quotes(*text));
                continue;
            }
            if (std::none_of(cited.begin(), cited.end(), [](const CitedTurn& t) { return t.role == "user"; })) {
                reject("cites no turn of the user; the human block only takes what the user said");
                continue;
            }
            if (!supported_by(*text, cited)) {
                reject("is not what the cited user turns say: " + in_quotes(*text));
                continue;
            }
        }
        auto applied =
            *op == "append" ? store.core_append(*block, *text) : store.core_replace(*block, *old_text, *text);
        if (applied.is_error()) {
            reject(applied.error().message);
            continue;
        }
        result.core_edits.push_back(*block + ": " + *op + " " + in_quotes(*text));
    }
    return {};
}

}  // namespace os1::memory::detail
