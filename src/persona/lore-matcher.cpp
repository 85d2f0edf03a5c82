#include "persona/lore-matcher.h"

#include <algorithm>
#include <cctype>

namespace os1::persona {

namespace {

// Symbols beyond the 256 byte values. The text and every key are rewritten with a word-start
// symbol before a word byte that follows a non-word byte (or opens the text), and a word-end
// symbol after a word byte that precedes a non-word byte (or closes the text). A key that begins
// with a word byte then begins with word-start, which the text holds at that point only when the
// byte before is no word byte: plain substring search decides key_matches' boundary rules.
constexpr uint16_t k_word_start = 256;
constexpr uint16_t k_word_end = 257;
constexpr int k_symbol_bits = 9;

uint64_t edge_key(int32_t state, uint16_t symbol) {
    return (uint64_t(uint32_t(state)) << k_symbol_bits) | symbol;
}

}  // namespace

LoreMatcher::Automaton::Automaton() : fail{0}, output{-1}, ends_key{0}, parent{-1}, symbol{0}, depth{0} {}

int32_t LoreMatcher::Automaton::insert(const std::vector<uint16_t>& symbols) {
    int32_t state = 0;
    for (uint16_t s : symbols) {
        auto [it, added] = edges.try_emplace(edge_key(state, s), int32_t(ends_key.size()));
        if (added) {
            ends_key.push_back(0);
            fail.push_back(0);
            output.push_back(-1);
            parent.push_back(state);
            symbol.push_back(s);
            depth.push_back(depth[std::size_t(state)] + 1);
        }
        state = it->second;
    }
    ends_key[std::size_t(state)] = 1;
    return state;
}

void LoreMatcher::Automaton::link() {
    // States in order of depth (a counting sort): a state's failure link is shallower than it.
    const std::size_t count = ends_key.size();
    uint32_t deepest = 0;
    for (uint32_t d : depth)
        deepest = std::max(deepest, d);
    std::vector<std::size_t> first(deepest + 2, 0);
    for (uint32_t d : depth)
        ++first[d + 1];
    for (std::size_t d = 1; d < first.size(); ++d)
        first[d] += first[d - 1];
    std::vector<int32_t> by_depth(count);
    for (std::size_t s = 0; s < count; ++s)
        by_depth[first[depth[s]]++] = int32_t(s);

    std::size_t unused_steps = 0;
    for (int32_t s : by_depth) {
        if (s == 0)
            continue;
        const int32_t p = parent[std::size_t(s)];
        fail[std::size_t(s)] = p == 0 ? 0 : next(fail[std::size_t(p)], symbol[std::size_t(s)], unused_steps);
        output[std::size_t(s)] = ends_key[std::size_t(s)] ? s : output[std::size_t(fail[std::size_t(s)])];
    }
    parent = {};
    symbol = {};
    depth = {};
}

int32_t LoreMatcher::Automaton::next(int32_t state, uint16_t s, std::size_t& steps) const {
    for (;;) {
        ++steps;
        auto it = edges.find(edge_key(state, s));
        if (it != edges.end())
            return it->second;
        if (state == 0)
            return 0;
        state = fail[std::size_t(state)];
    }
}

void LoreMatcher::Automaton::scan(const std::vector<uint16_t>& symbols, std::vector<char>& found,
                                  std::size_t& steps) const {
    int32_t state = 0;
    for (uint16_t s : symbols) {
        state = next(state, s, steps);
        // Every key on a found key's output chain was marked with it, so the walk stops at the
        // first found one: each key is reported once per pass, not once per occurrence.
        for (int32_t key = output[std::size_t(state)]; key > 0 && !found[std::size_t(key)];
             key = output[std::size_t(fail[std::size_t(key)])]) {
            found[std::size_t(key)] = 1;
            ++steps;
        }
    }
}

LoreMatcher::LoreMatcher(const CharacterBook& book) {
    // The same folding and word bytes as key_matches, read once from the C library.
    for (int c = 0; c < 256; ++c) {
        m_fold[std::size_t(c)] = static_cast<unsigned char>(std::tolower(c));
        m_word[std::size_t(c)] = std::isalnum(c) || c == '_' || c >= 0x80;
    }
    m_entries.resize(book.entries.size());
    for (std::size_t i = 0; i < book.entries.size(); ++i) {
        const LoreEntry& e = book.entries[i];
        EntryKeys& keys = m_entries[i];
        keys.active = e.enabled && !e.content.empty() && !e.constant;
        if (!keys.active)
            continue;
        keys.selective = e.selective;
        Automaton& automaton = e.case_sensitive ? m_raw : m_folded;
        auto add = [&](const std::vector<std::string>& from, std::vector<KeyRef>& to) {
            for (const std::string& key : from) {
                if (!key.empty())
                    to.push_back({e.case_sensitive, automaton.insert(symbols_of(key, e.case_sensitive))});
            }
        };
        add(e.keys, keys.primary);
        if (e.selective)
            add(e.secondary_keys, keys.secondary);
    }
    m_folded.link();
    m_raw.link();
}

std::vector<uint16_t> LoreMatcher::symbols_of(std::string_view text, bool case_sensitive) const {
    std::vector<uint16_t> out;
    out.reserve(text.size() * 2 + 1);
    bool in_word = false;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool word = m_word[c];
        if (word && !in_word)
            out.push_back(k_word_start);
        else if (!word && in_word)
            out.push_back(k_word_end);
        out.push_back(case_sensitive ? c : m_fold[c]);
        in_word = word;
    }
    if (in_word)
        out.push_back(k_word_end);
    return out;
}

std::vector<bool> LoreMatcher::keyed_entries(const std::vector<std::string>& turns, LoreMatchWork* work) const {
    std::vector<char> found_folded(m_folded.ends_key.size(), 0);
    std::vector<char> found_raw(m_raw.ends_key.size(), 0);
    std::size_t steps = 0;
    for (const std::string& turn : turns) {
        if (m_folded.ends_key.size() > 1)
            m_folded.scan(symbols_of(turn, false), found_folded, steps);
        if (m_raw.ends_key.size() > 1)
            m_raw.scan(symbols_of(turn, true), found_raw, steps);
    }
    if (work)
        work->steps += steps;

    auto any = [&](const std::vector<KeyRef>& keys) {
        for (const KeyRef& key : keys) {
            if ((key.case_sensitive ? found_raw : found_folded)[std::size_t(key.state)])
                return true;
        }
        return false;
    };
    std::vector<bool> keyed(m_entries.size(), false);
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        const EntryKeys& e = m_entries[i];
        keyed[i] = e.active && any(e.primary) && (!e.selective || any(e.secondary));
    }
    return keyed;
}

}  // namespace os1::persona
