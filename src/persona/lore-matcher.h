// LoreMatcher: finds which lorebook entries' keys occur in the recent turns, in time linear in
// the text, however many keys a card has and however they overlap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "persona/card.h"

namespace os1::persona {

// What one matching pass did: automaton moves (transitions and failure links) and reported key
// matches. Bounded by a small multiple of the text's length plus the number of distinct keys.
struct LoreMatchWork {
    std::size_t steps = 0;
};

// Built once per card (cost linear in the keys' bytes), then reused every turn. Keys keep the
// meaning of key_matches: a whole word or phrase, case-insensitive unless the entry says
// otherwise. Immutable after construction; safe to share between threads.
class LoreMatcher {
public:
    explicit LoreMatcher(const CharacterBook& book);

    // For each entry of the book it was built from: true when it is enabled, has content, is not
    // constant, one of its keys occurs in one of `turns` and, when selective, one of its
    // secondary keys too. Constant entries need no keys and are false here.
    std::vector<bool> keyed_entries(const std::vector<std::string>& turns, LoreMatchWork* work = nullptr) const;

    // How many entries the book had when this was built.
    std::size_t entry_count() const { return m_entries.size(); }

private:
    // One Aho-Corasick automaton over bytes plus two word-boundary symbols; the keys of
    // case-insensitive entries go into one fed folded text, the others into one fed raw text.
    struct Automaton {
        std::unordered_map<uint64_t, int32_t> edges;  // (state << 9 | symbol) -> state
        std::vector<int32_t> fail;
        std::vector<int32_t> output;  // nearest state on the failure chain (itself included) ending a key
        std::vector<char> ends_key;
        // Only while building: each state's parent, the symbol leading to it, and its depth.
        std::vector<int32_t> parent;
        std::vector<uint16_t> symbol;
        std::vector<uint32_t> depth;

        Automaton();
        int32_t insert(const std::vector<uint16_t>& symbols);
        // Computes failure and output links, then drops what only building needed.
        void link();
        int32_t next(int32_t state, uint16_t symbol, std::size_t& steps) const;
        // Marks in `found` every key state that occurs in `symbols`.
        void scan(const std::vector<uint16_t>& symbols, std::vector<char>& found, std::size_t& steps) const;
    };
    struct KeyRef {
        bool case_sensitive;
        int32_t state;
    };
    struct EntryKeys {
        bool active = false;  // enabled, with content, not constant
        bool selective = false;
        std::vector<KeyRef> primary;
        std::vector<KeyRef> secondary;
    };

    std::vector<uint16_t> symbols_of(std::string_view text, bool case_sensitive) const;

    std::array<unsigned char, 256> m_fold{};
    std::array<bool, 256> m_word{};
    Automaton m_folded;
    Automaton m_raw;
    std::vector<EntryKeys> m_entries;
};

}  // namespace os1::persona
