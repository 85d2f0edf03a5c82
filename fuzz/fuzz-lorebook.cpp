// Lorebook key matching: persona::LoreMatcher over small books and turns, against key_matches
// applied key by key, the meaning of a key. Both always agree on which entries a turn keys, and
// the matcher's work stays within a small multiple of the text's length plus the keys.
//
// Input: fields separated by NUL bytes. The first holds the turns, one a line; each other field is
// a key, whose first byte says how it is used: bit 0, case-sensitive; bit 1, a secondary key of
// the entry before (which becomes selective); otherwise a new entry's first key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "persona/lorebook.h"

using namespace os1::persona;

namespace {

constexpr size_t k_max_fields = 64;

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        const size_t end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos)
            return parts;
        start = end + 1;
    }
}

bool any_key(const std::vector<std::string>& turns, const std::vector<std::string>& keys, bool case_sensitive) {
    for (const std::string& turn : turns)
        for (const std::string& key : keys)
            if (key_matches(turn, key, case_sensitive))
                return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<std::string> fields = split(std::string_view(reinterpret_cast<const char*>(data), size), '\0');
    if (fields.size() > k_max_fields)
        return 0;
    const std::vector<std::string> turns = split(fields[0], '\n');
    CharacterBook book;
    size_t key_count = 0;
    for (size_t i = 1; i < fields.size(); ++i) {
        if (fields[i].empty())
            continue;
        const auto use = static_cast<unsigned char>(fields[i][0]);
        const std::string key = fields[i].substr(1);
        ++key_count;
        if ((use & 2) && !book.entries.empty()) {
            book.entries.back().selective = true;
            book.entries.back().secondary_keys.push_back(key);
            continue;
        }
        LoreEntry entry;
        entry.keys = {key};
        entry.content = "lore";
        entry.case_sensitive = use & 1;
        book.entries.push_back(entry);
    }

    const LoreMatcher matcher(book);
    LoreMatchWork work;
    const std::vector<bool> keyed = matcher.keyed_entries(turns, &work);
    OS1_FUZZ_CHECK(keyed.size() == book.entries.size());
    for (size_t i = 0; i < book.entries.size(); ++i) {
        const LoreEntry& e = book.entries[i];
        const bool expected = any_key(turns, e.keys, e.case_sensitive) &&
                              (!e.selective || any_key(turns, e.secondary_keys, e.case_sensitive));
        OS1_FUZZ_CHECK(keyed[i] == expected);
    }
    // Each turn becomes at most 2n + 1 symbols, each taking at most two steps in each of the two
    // automata; each key is reported once.
    size_t bound = key_count;
    for (const std::string& turn : turns)
        bound += 4 * (2 * turn.size() + 1);
    OS1_FUZZ_CHECK(work.steps <= bound);
    return 0;
}
