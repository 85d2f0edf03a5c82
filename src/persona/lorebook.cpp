#include "persona/lorebook.h"

#include <algorithm>
#include <cctype>

namespace os1::persona {

namespace {

bool is_word_byte(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (static_cast<unsigned char>(c) & 0x80);
}

char fold(char c, bool case_sensitive) {
    return case_sensitive ? c : char(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

std::size_t estimate_tokens(std::string_view text) {
    return (text.size() + 3) / 4;
}

bool key_matches(std::string_view text, std::string_view key, bool case_sensitive) {
    if (key.empty() || key.size() > text.size())
        return false;
    for (std::size_t i = 0; i + key.size() <= text.size(); ++i) {
        bool equal = true;
        for (std::size_t k = 0; k < key.size() && equal; ++k)
            equal = fold(text[i + k], case_sensitive) == fold(key[k], case_sensitive);
        if (!equal)
            continue;
        // A key that starts or ends with a word character must sit on a word boundary there.
        const bool left_ok = !is_word_byte(key.front()) || i == 0 || !is_word_byte(text[i - 1]);
        const std::size_t end = i + key.size();
        const bool right_ok = !is_word_byte(key.back()) || end == text.size() || !is_word_byte(text[end]);
        if (left_ok && right_ok)
            return true;
    }
    return false;
}

std::vector<std::size_t> select_lore(const CharacterBook& book, const std::vector<std::string>& recent_turns,
                                     std::size_t token_budget) {
    return select_lore(book, LoreMatcher(book), recent_turns, token_budget);
}

std::vector<std::size_t> select_lore(const CharacterBook& book, const LoreMatcher& matcher,
                                     const std::vector<std::string>& recent_turns, std::size_t token_budget) {
    const std::vector<bool> keyed = matcher.keyed_entries(recent_turns);
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < book.entries.size() && i < keyed.size(); ++i) {
        const LoreEntry& e = book.entries[i];
        if (!e.enabled || e.content.empty())
            continue;
        if (e.constant || keyed[i])
            candidates.push_back(i);
    }

    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
        const LoreEntry& x = book.entries[a];
        const LoreEntry& y = book.entries[b];
        if (x.constant != y.constant)
            return x.constant;
        if (x.priority != y.priority)
            return x.priority > y.priority;
        return x.insertion_order < y.insertion_order;
    });

    std::vector<std::size_t> selected;
    std::size_t used = 0;
    for (std::size_t i : candidates) {
        const std::size_t cost = estimate_tokens(book.entries[i].content);
        if (used + cost > token_budget)
            continue;
        used += cost;
        selected.push_back(i);
    }
    std::stable_sort(selected.begin(), selected.end(), [&](std::size_t a, std::size_t b) {
        if (book.entries[a].insertion_order != book.entries[b].insertion_order)
            return book.entries[a].insertion_order < book.entries[b].insertion_order;
        return a < b;
    });
    return selected;
}

std::string lore_text(const CharacterBook& book, const std::vector<std::size_t>& selected) {
    std::string out;
    for (std::size_t i : selected) {
        if (!out.empty())
            out += "\n\n";
        out += book.entries[i].content;
    }
    return out;
}

}  // namespace os1::persona
