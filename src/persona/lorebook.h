// Lorebook selection: which character_book entries go into the prompt for the recent turns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "persona/card.h"
#include "persona/lore-matcher.h"

namespace os1::persona {

// About four bytes of English per token: good enough to budget prompt space without a tokenizer.
std::size_t estimate_tokens(std::string_view text);

// True when `key` occurs in `text` as a whole word (or phrase), case-insensitively unless
// `case_sensitive`: a key that starts (ends) with a word byte (letters, digits, '_' and every
// byte of a multibyte character) must not have a word byte just before (after) it. This is the
// meaning of a key; it takes time in proportion to the text times the key, so selection uses
// LoreMatcher, which agrees with it.
bool key_matches(std::string_view text, std::string_view key, bool case_sensitive);

// Indices of the entries to insert, in insertion order (ascending insertion_order, then index).
// An entry is a candidate when enabled and either constant, or one of its keys occurs in
// `recent_turns` and, when selective, one of its secondary keys too. Candidates are admitted
// constant first, then by descending priority, then insertion order, while their estimated
// tokens fit `token_budget`.
// `matcher` was built from `book`; a caller that selects every turn keeps it with the card.
std::vector<std::size_t> select_lore(const CharacterBook& book, const LoreMatcher& matcher,
                                     const std::vector<std::string>& recent_turns, std::size_t token_budget);
// The same with a matcher built for this one call.
std::vector<std::size_t> select_lore(const CharacterBook& book, const std::vector<std::string>& recent_turns,
                                     std::size_t token_budget);

// The selected entries' content, one paragraph each.
std::string lore_text(const CharacterBook& book, const std::vector<std::size_t>& selected);

}  // namespace os1::persona
