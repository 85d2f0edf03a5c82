// Cuts a reply that streams in as small pieces of text into clauses to speak, handing each out
// as soon as it is complete, so that speech starts with the first clause instead of after the
// whole reply. A clause ends at a sentence end (. ! ? …) or, once it is long enough to be worth
// speaking alone, at a pause (, ; : —), so "Oh, I see." is one clause and not "Oh," then "I see.".
// A clause with no mark ends at a space once it is very long.
// A full stop ends nothing inside a number (3.5), an abbreviation (e.g., Dr.) or an initial.
// The clauses handed out, concatenated, are exactly the text pushed: nothing is dropped or
// added (leading spaces belong to the next clause). UTF-8 safe: a piece may end in the middle
// of a character. Not thread-safe: one caller.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace os1::voice {

struct ClauseSplitterSettings {
    // A pause (, ; : —) ends a clause only when the clause has at least this many letters and
    // digits: long enough that it sounds like a phrase, short enough that speech starts early.
    size_t min_clause_letters = 12;
    // A clause this long with no mark at all ends at the next space: a reply written without
    // punctuation (a list, a small model) must not hold speech back until its end.
    size_t max_clause_letters = 80;
};

class ClauseSplitter {
public:
    explicit ClauseSplitter(ClauseSplitterSettings settings = {});

    // Adds a piece of the reply; returns the clauses it completed, in order (often none).
    std::vector<std::string> push(std::string_view piece);
    // The end of the reply: returns what is left as a last clause (empty when nothing is).
    std::string finish();

private:
    // Finds the end of the first complete clause in m_pending, or npos. `at_end`: no more text.
    size_t find_clause_end(bool at_end) const;

    ClauseSplitterSettings m_settings;
    std::string m_pending;  // text not yet handed out
};

}  // namespace os1::voice
