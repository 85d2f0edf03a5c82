// Hybrid recall: BM25 candidates from FTS5 (porter stemming), and with an embedder attached
// the nearest vectors too (their cosine fused with BM25), preferring what a speaker the query
// names said, rescored with recency and importance, filtered by a time expression in the query,
// de-duplicated, given neighbouring turns as context and packed into a token budget.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "memory/memory.h"
#include "memory/speaker-names.h"
#include "memory/text-util.h"
#include "memory/vectors.h"

namespace os1::memory {

namespace {

bool is_stopword(const std::string& w) {
    static const std::unordered_set<std::string> stopwords = {
        "a",      "about", "am",    "an",       "and",  "are",  "as",   "at",   "be",   "did",   "do",
        "does",   "for",   "from",  "had",      "has",  "have", "how",  "i",    "in",   "is",    "it",
        "me",     "my",    "of",    "on",       "or",   "our",  "s",    "so",   "that", "the",   "their",
        "them",   "then",  "there", "they",     "this", "to",   "was",  "we",   "were", "what",  "when",
        "where",  "which", "who",   "why",      "will", "with", "you",  "your", "can",  "could", "would",
        "should", "t",     "tell",  "remember", "know", "any",  "ever", "again"};
    return stopwords.count(w) > 0;
}

// The distinct query words that carry meaning.
std::vector<std::string> query_terms(const std::string& query) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const std::string& w : words(query))
        if (!is_stopword(w) && seen.insert(w).second)
            out.push_back(w);
    return out;
}

std::string quote_term(const std::string& term) {
    return "\"" + term + "\"";
}

std::string joined(const std::vector<std::string>& terms, const char* op) {
    std::string out;
    for (const std::string& t : terms)
        out += (out.empty() ? "" : op) + quote_term(t);
    return terms.size() > 1 ? "(" + out + ")" : out;
}

// A term in more memories than this is "common": it only narrows, it does not widen, the
// matches. Matching every memory that holds one common word would rank tens of thousands of
// rows per search at 100k memories.
constexpr int64_t common_df = 1000;
// At most this many matches (the most recent) are ranked.
constexpr int64_t ranked_cap = 4000;

ErrorOr<int64_t> capped_document_frequency(Database& db, const std::string& term) {
    auto q = OS1_TRY(
        db.prepare("SELECT count(*) FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?1 LIMIT ?2)"));
    q.bind(1, quote_term(term)).bind(2, common_df);
    OS1_TRY(q.step());
    return q.column_int(0);
}

// FTS5 expressions to try in order: rare words OR'ed (plus all common words together), then,
// when every word is common, all of them together and finally any of them. `frequencies` gets
// each term's document frequency, capped at common_df.
ErrorOr<std::vector<std::string>> match_expressions(Database& db, const std::vector<std::string>& terms,
                                                    std::unordered_map<std::string, int64_t>& frequencies) {
    std::vector<std::string> rare, common;
    for (const std::string& t : terms) {
        const int64_t df = OS1_TRY(capped_document_frequency(db, t));
        frequencies[t] = df;
        (df >= common_df ? common : rare).push_back(t);
    }
    if (!rare.empty()) {
        std::string expression = joined(rare, " OR ");
        if (common.size() > 1)
            expression += " OR " + joined(common, " AND ");
        return std::vector<std::string>{expression};
    }
    if (common.size() > 1)
        return std::vector<std::string>{joined(common, " AND "), joined(common, " OR ")};
    if (common.size() == 1)
        return std::vector<std::string>{quote_term(common[0])};
    return std::vector<std::string>{};
}

// The local day (days since 1970-01-01) of a stored time in a zone `offset` from UTC. The time
// is clamped to the years 0000 to 9999 first, so that no value a database holds overflows.
int64_t local_day_of(int64_t time, std::chrono::seconds offset) {
    const int64_t local = std::clamp(time, earliest_time, latest_time) + offset.count();
    return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

struct Candidate {
    int64_t id = 0;
    Kind kind = Kind::Episode;
    std::string text;
    int64_t time = 0;
    double importance = 0;
    std::string conversation;
    std::string speaker;
    std::string role;
    std::string source_id;
    bool superseded = false;
    double bm25 = 0;
    double relevance = 0;  // [0, 1]: BM25, or BM25 fused with vector similarity
    double score = 0;
};

constexpr const char* candidate_columns =
    "m.id, m.kind, m.text, m.time, m.importance, m.conversation, m.speaker, m.valid_to IS NOT NULL, m.source_id, "
    "m.role";

Candidate read_candidate(const Statement& q) {
    Candidate c;
    c.id = q.column_int(0);
    c.kind = kind_from_string(q.column_text(1));
    c.text = q.column_text(2);
    c.time = q.column_int(3);
    c.importance = double(q.column_int(4)) / 1000.0;
    c.conversation = q.column_text(5);
    c.speaker = q.column_text(6);
    c.superseded = q.column_int(7) != 0;
    c.source_id = q.column_text(8);
    c.role = q.column_text(9);
    return c;
}

// True when the query asks about the user ("What did I do yesterday?"): the user's own turns
// answer it, not the companion's replies.
bool asks_about_user(std::string_view query) {
    for (const std::string& w : words(query))
        if (w == "i" || w == "me" || w == "my" || w == "mine" || w == "myself")
            return true;
    return false;
}

// True for a first-person account of something done: "I went ...", "Today I finally repaired
// ...": "I" followed, within two words, by a past-tense verb.
bool reports_activity(std::string_view text) {
    static const std::unordered_set<std::string> irregular = {
        "went", "did",  "made", "saw",   "got",   "took", "had",   "met",  "ran",  "ate",  "bought", "found",
        "gave", "left", "read", "wrote", "spent", "came", "drove", "flew", "swam", "sang", "began",  "won"};
    std::vector<std::string> w = words(text);
    for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] != "i")
            continue;
        for (size_t j = i + 1; j < std::min(w.size(), i + 3); ++j)
            if (irregular.count(w[j]) || (w[j].size() > 3 && w[j].ends_with("ed")))
                return true;
    }
    return false;
}

// Memories in the range, most important first, when the query has no words to match. When the
// query asks about the user, the user's own turns rank above the companion's, and accounts of
// what the user did above the rest.
ErrorOr<std::vector<Candidate>> in_range(Database& db, TimeRange range, int64_t limit, bool about_user) {
    std::vector<Candidate> out;
    std::unordered_set<int64_t> seen;
    if (about_user) {
        // Only the user's first-person turns can be accounts ("I went ..."); GLOB narrows a busy
        // week of thousands of turns to those cheaply, before the exact check.
        constexpr int64_t first_person_cap = 500;
        auto q = OS1_TRY(db.prepare(std::string("SELECT ") + candidate_columns +
                                    " FROM memories m WHERE m.time >= ?1 AND m.time < ?2 AND m.role = 'user' "
                                    "AND (m.text GLOB '*I *' OR m.text GLOB '*I''*') ORDER BY m.time DESC LIMIT ?3"));
        q.bind(1, range.begin).bind(2, range.end).bind(3, first_person_cap);
        while (OS1_TRY(q.step())) {
            Candidate c = read_candidate(q);
            if (!reports_activity(c.text))
                continue;
            c.bm25 = 1.0;
            seen.insert(c.id);
            out.push_back(std::move(c));
        }
    }
    auto q = OS1_TRY(db.prepare(std::string("SELECT ") + candidate_columns +
                                " FROM memories m WHERE m.time >= ?1 AND m.time < ?2 "
                                "ORDER BY (?4 AND m.role IS NOT 'user'), m.importance DESC, m.time DESC LIMIT ?3"));
    q.bind(1, range.begin).bind(2, range.end).bind(3, limit).bind(4, int64_t(about_user));
    while (OS1_TRY(q.step())) {
        Candidate c = read_candidate(q);
        if (seen.count(c.id))
            continue;
        c.bm25 = !about_user || c.kind != Kind::Episode ? 1.0 : c.role == "user" ? 0.75 : 0.5;
        out.push_back(std::move(c));
    }
    if (int64_t(out.size()) > limit)
        out.resize(size_t(limit));
    return out;
}

// The memories with these ids, by id; ids of deleted memories are absent.
ErrorOr<std::unordered_map<int64_t, Candidate>> read_candidates(Database& db, const std::vector<int64_t>& ids) {
    std::unordered_map<int64_t, Candidate> by_id;
    if (ids.empty())
        return by_id;
    std::string list;
    for (int64_t id : ids) {
        if (!list.empty())
            list += ',';
        list += std::to_string(id);
    }
    auto details = OS1_TRY(
        db.prepare(std::string("SELECT ") + candidate_columns + " FROM memories m WHERE m.id IN (" + list + ")"));
    while (OS1_TRY(details.step())) {
        Candidate c = read_candidate(details);
        by_id.emplace(c.id, std::move(c));
    }
    return by_id;
}

// The `limit` best BM25 matches of `match` (among the ranked_cap most recent), in the range
// when one is given.
ErrorOr<std::vector<Candidate>> matches(Database& db, const std::string& match, std::optional<TimeRange> range,
                                        int64_t limit) {
    std::string sql = range ? "SELECT f.rowid, CAST(-bm25(memories_fts) * 1000000 AS INTEGER) FROM memories_fts f "
                              "JOIN memories m ON m.id = f.rowid WHERE memories_fts MATCH ?1 "
                              "AND m.time >= ?3 AND m.time < ?4 ORDER BY f.rowid DESC LIMIT ?2"
                            : "SELECT rowid, CAST(-bm25(memories_fts) * 1000000 AS INTEGER) FROM memories_fts "
                              "WHERE memories_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2";
    auto q = OS1_TRY(db.prepare(sql));
    q.bind(1, match).bind(2, ranked_cap);
    if (range)
        q.bind(3, range->begin).bind(4, range->end);
    std::vector<std::pair<double, int64_t>> ranked;  // bm25, id
    while (OS1_TRY(q.step()))
        ranked.push_back({double(q.column_int(1)) / 1e6, q.column_int(0)});
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (int64_t(ranked.size()) > limit)
        ranked.resize(size_t(limit));
    if (ranked.empty())
        return std::vector<Candidate>();

    std::vector<int64_t> ids;
    for (const auto& [score, id] : ranked)
        ids.push_back(id);
    std::unordered_map<int64_t, Candidate> by_id = OS1_TRY(read_candidates(db, ids));
    std::vector<Candidate> out;
    for (const auto& [score, id] : ranked) {
        auto it = by_id.find(id);
        if (it == by_id.end())
            continue;
        it->second.bm25 = score;
        out.push_back(std::move(it->second));
    }
    return out;
}

ErrorOr<std::vector<Candidate>> candidates(Database& db, const std::vector<std::string>& expressions,
                                           std::optional<TimeRange> range, int64_t limit, size_t enough) {
    std::vector<Candidate> out;
    std::unordered_set<int64_t> seen;
    for (const std::string& expression : expressions) {
        for (Candidate& c : OS1_TRY(matches(db, expression, range, limit)))
            if (seen.insert(c.id).second)
                out.push_back(std::move(c));
        if (out.size() >= enough)
            break;
    }
    return out;
}

// The episodes just before and just after each of `around` in its conversation (0: none).
struct Adjacent {
    int64_t before = 0, after = 0;
};
ErrorOr<std::vector<Adjacent>> adjacent_episodes(Database& db, const std::vector<const Candidate*>& around) {
    std::string values;
    for (size_t i = 0; i < around.size(); ++i) {
        values += i ? ", (" : "(";
        values.append(std::to_string(around[i]->id)).append(", ");
        values.append(std::to_string(around[i]->time)).append(", ?");
        values.append(std::to_string(i + 1)).append(")");
    }
    auto q = OS1_TRY(db.prepare(
        "WITH a(id, time, conversation) AS (VALUES " + values +
        ") SELECT "
        "(SELECT m.id FROM memories m WHERE m.kind = 'episode' AND m.conversation = a.conversation "
        "AND (m.time < a.time OR (m.time = a.time AND m.id < a.id)) ORDER BY m.time DESC, m.id DESC LIMIT 1), "
        "(SELECT m.id FROM memories m WHERE m.kind = 'episode' AND m.conversation = a.conversation "
        "AND (m.time > a.time OR (m.time = a.time AND m.id > a.id)) ORDER BY m.time, m.id LIMIT 1) FROM a"));
    for (size_t i = 0; i < around.size(); ++i)
        q.bind(int(i + 1), around[i]->conversation);
    std::vector<Adjacent> out;
    while (OS1_TRY(q.step()))
        out.push_back({q.column_is_null(0) ? 0 : q.column_int(0), q.column_is_null(1) ? 0 : q.column_int(1)});
    return out;
}

// Dialogue spreads one exchange over several turns: the question names the topic and the next
// turn holds the answer ("What did you name the puppy?" "Biscuit!"), or a reply names what the
// turn before it told. So the best-matching episodes lend part of their relevance to their
// neighbours: most of it to the turn that answers a question, some to any other neighbour.
ErrorOr<void> lend_relevance_to_neighbours(Database& db, std::vector<Candidate>& found) {
    constexpr size_t max_lenders = 20;
    constexpr double to_answer = 0.9, to_neighbour = 0.5;
    std::vector<const Candidate*> lenders;
    for (const Candidate& c : found)
        if (c.kind == Kind::Episode && !c.conversation.empty() && c.bm25 > 0)
            lenders.push_back(&c);
    std::stable_sort(lenders.begin(), lenders.end(),
                     [](const Candidate* a, const Candidate* b) { return a->bm25 > b->bm25; });
    lenders.resize(std::min(lenders.size(), max_lenders));
    if (lenders.empty())
        return {};

    std::vector<Adjacent> adjacent = OS1_TRY(adjacent_episodes(db, lenders));
    std::unordered_map<int64_t, double> lent;  // neighbour id -> best share
    for (size_t i = 0; i < lenders.size() && i < adjacent.size(); ++i) {
        const bool is_question = lenders[i]->text.find('?') != std::string::npos;
        auto lend = [&](int64_t id, double share) {
            if (id)
                lent[id] = std::max(lent[id], lenders[i]->bm25 * share);
        };
        lend(adjacent[i].after, is_question ? to_answer : to_neighbour);
        lend(adjacent[i].before, to_neighbour);
    }
    std::vector<int64_t> missing;
    for (Candidate& c : found) {
        auto it = lent.find(c.id);
        if (it == lent.end())
            continue;
        c.bm25 = std::max(c.bm25, it->second);
        lent.erase(it);
    }
    for (const auto& [id, share] : lent)
        missing.push_back(id);
    if (missing.empty())
        return {};
    for (auto& [id, c] : OS1_TRY(read_candidates(db, missing))) {
        c.bm25 = lent[id];
        found.push_back(std::move(c));
    }
    return {};
}

// Names in `text` that the query did not use: capitalised words inside a sentence ("My friend
// Omar gave me ..." gives "omar"), lowercased. They bridge to memories that speak of the same
// person or place in other words.
std::vector<std::string> bridge_names(std::string_view text, const std::vector<std::string>& terms) {
    std::vector<std::string> out;
    bool sentence_start = true;
    size_t i = 0;
    while (i < text.size()) {
        const unsigned char ch = static_cast<unsigned char>(text[i]);
        if (!std::isalpha(ch)) {
            if (ch == '.' || ch == '!' || ch == '?' || ch == ':' || ch == '"')
                sentence_start = true;
            ++i;
            continue;
        }
        size_t end = i;
        while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])))
            ++end;
        std::string word(text.substr(i, end - i));
        if (!sentence_start && std::isupper(ch) && word.size() >= 3) {
            for (char& c : word)
                c = char(std::tolower(static_cast<unsigned char>(c)));
            if (!is_stopword(word) && std::find(terms.begin(), terms.end(), word) == terms.end() &&
                std::find(out.begin(), out.end(), word) == out.end())
                out.push_back(word);
        }
        sentence_start = false;
        i = end;
    }
    return out;
}

// Multi-hop questions ("Which city did the friend who gave me a guitar move to?") are answered
// by a memory that names the person the best match names ("Omar told me she moved to Lisbon"),
// not only the question's words. A second, weaker search for the names in the best matches
// adds its scores, scaled below the first hop's, as if the names were query terms.
ErrorOr<void> follow_names(Database& db, std::vector<Candidate>& found, const std::vector<std::string>& terms,
                           std::optional<TimeRange> range, int64_t limit) {
    constexpr size_t hops_from = 2;
    constexpr double second_hop = 0.3;
    std::vector<const Candidate*> best;  // the hops_from best, best first
    for (const Candidate& c : found) {
        auto at = std::find_if(best.begin(), best.end(), [&](const Candidate* b) { return c.bm25 > b->bm25; });
        if (size_t(at - best.begin()) < hops_from)
            best.insert(at, &c);
        if (best.size() > hops_from)
            best.pop_back();
    }
    if (best.empty() || best.front()->bm25 <= 0)
        return {};
    const double top = best.front()->bm25;
    std::vector<std::string> names;
    for (const Candidate* c : best)
        for (std::string& name : bridge_names(c->text, terms))
            if (std::find(names.begin(), names.end(), name) == names.end() &&
                OS1_TRY(capped_document_frequency(db, name)) < common_df)
                names.push_back(std::move(name));
    if (names.empty())
        return {};
    std::vector<Candidate> hop = OS1_TRY(matches(db, joined(names, " OR "), range, limit));
    double hop_best = 0;
    for (const Candidate& c : hop)
        hop_best = std::max(hop_best, c.bm25);
    if (hop_best <= 0)
        return {};
    std::unordered_map<int64_t, size_t> index;
    for (size_t i = 0; i < found.size(); ++i)
        index.emplace(found[i].id, i);
    for (Candidate& c : hop) {
        const double share = top * second_hop * c.bm25 / hop_best;
        auto it = index.find(c.id);
        if (it != index.end()) {
            // As if the names were added to the query: BM25 adds up over terms.
            found[it->second].bm25 += share;
            continue;
        }
        c.bm25 = share;
        found.push_back(std::move(c));
    }
    return {};
}

// People tell a story over a sitting: the question's words are spread over several turns of
// one conversation on one day, and the turn that answers may hold few of them. So each sitting
// (a conversation's turns on one local day) is scored like a document of its own, by the rare
// query words its turns contain (each word's IDF, saturating with the number of turns that hold
// it), and the candidates in the best sittings gain a share of the best candidate's relevance
// in proportion to their sitting's score.
ErrorOr<void> favour_best_sittings(Database& db, std::vector<Candidate>& found, const std::vector<std::string>& terms,
                                   const std::unordered_map<std::string, int64_t>& frequencies,
                                   std::chrono::seconds offset) {
    constexpr size_t best_sittings = 6;
    constexpr double share = 0.2;
    // Words in more turns than this are left out: they say little about where the story is,
    // and reading where each of their turns sits is most of the cost.
    constexpr int64_t max_turns = 200;
    if (found.empty() || terms.empty())
        return {};
    auto size = OS1_TRY(db.prepare("SELECT coalesce(max(id), 0) FROM memories"));
    OS1_TRY(size.step());
    const double n = double(std::max<int64_t>(1, size.column_int(0)));
    auto sitting = [offset](const std::string& conversation, int64_t time) {
        return conversation + '\n' + std::to_string(local_day_of(time, offset));
    };
    std::unordered_map<std::string, double> score;
    for (const std::string& term : terms) {
        auto known = frequencies.find(term);
        const int64_t df = known == frequencies.end() ? 0 : known->second;
        if (df == 0 || df >= max_turns)
            continue;
        // CROSS JOIN keeps the full-text match as the outer loop: with the kind test, the planner
        // would otherwise walk every episode and look each one up in the index.
        auto q =
            OS1_TRY(db.prepare("SELECT m.conversation, m.time FROM memories_fts f CROSS JOIN memories m "
                               "ON m.id = f.rowid WHERE memories_fts MATCH ?1 AND m.kind = 'episode' LIMIT ?2"));
        q.bind(1, quote_term(term)).bind(2, max_turns);
        std::unordered_map<std::string, int> turns;
        while (OS1_TRY(q.step()))
            if (!q.column_is_null(0))
                ++turns[sitting(q.column_text(0), q.column_int(1))];
        const double idf = std::log((n - double(df) + 0.5) / (double(df) + 0.5) + 1.0);
        for (const auto& [key, count] : turns)
            score[key] += idf * count / (count + 1.0);
    }
    std::vector<std::pair<double, std::string>> ranked;
    for (auto& [key, value] : score)
        ranked.push_back({value, key});
    if (ranked.empty())
        return {};
    const size_t keep = std::min(best_sittings, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + long(keep), ranked.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    ranked.resize(keep);
    double best = 0;
    for (const Candidate& c : found)
        best = std::max(best, c.bm25);
    const double top = ranked.front().first;
    if (best <= 0 || top <= 0)
        return {};
    std::unordered_map<std::string, double> bonus;
    for (const auto& [value, key] : ranked)
        bonus[key] = best * share * value / top;
    for (Candidate& c : found) {
        if (c.kind != Kind::Episode || c.conversation.empty())
            continue;
        auto it = bonus.find(sitting(c.conversation, c.time));
        if (it != bonus.end())
            c.bm25 += it->second;
    }
    return {};
}

// The distinct speakers of the stored episodes (at most a few hundred): one index seek per
// speaker, so the cost does not grow with the number of memories.
ErrorOr<std::vector<std::string>> episode_speakers(Database& db) {
    constexpr int64_t max_speakers = 256;
    auto q = OS1_TRY(
        db.prepare("WITH RECURSIVE s(name) AS (SELECT (SELECT min(speaker) FROM memories WHERE kind = 'episode') "
                   "UNION ALL SELECT (SELECT min(speaker) FROM memories WHERE kind = 'episode' AND speaker > s.name) "
                   "FROM s WHERE s.name IS NOT NULL) SELECT name FROM s WHERE name IS NOT NULL LIMIT ?1"));
    q.bind(1, max_speakers);
    std::vector<std::string> out;
    while (OS1_TRY(q.step()))
        out.push_back(q.column_text(0));
    return out;
}

// A question that names some of the speakers ("What are Kate's hobbies?") is answered by their
// own turns, mostly in the first person ("I love skiing"), which do not contain the name. So
// their turns keep more of their relevance than the others', the more so in the first person.
void prefer_named_speakers(std::vector<Candidate>& found, const std::vector<std::string>& named) {
    constexpr double named_speaker = 2.0, first_person = 1.5;
    for (Candidate& c : found) {
        if (c.kind != Kind::Episode || std::find(named.begin(), named.end(), c.speaker) == named.end())
            continue;
        c.bm25 *= named_speaker;
        if (speaks_in_first_person(c.text))
            c.bm25 *= first_person;
    }
}

// True when the question asks when: "When did ...", "What time ...", "What day ...".
bool asks_when(std::string_view query) {
    const std::vector<std::string> w = words(query);
    if (w.empty())
        return false;
    return w[0] == "when" || (w.size() > 1 && w[0] == "what" && (w[1] == "time" || w[1] == "day" || w[1] == "date"));
}

// True for a turn that says when: a digit, or a word of time ("yesterday", "tonight", "last
// week", a weekday or a month).
bool tells_time(std::string_view text) {
    static const std::unordered_set<std::string> time_words = {
        "today",    "yesterday", "tomorrow", "tonight",  "morning",  "evening",   "afternoon", "night",
        "week",     "weekend",   "month",    "year",     "ago",      "last",      "next",      "monday",
        "tuesday",  "wednesday", "thursday", "friday",   "saturday", "sunday",    "january",   "february",
        "march",    "april",     "june",     "july",     "august",   "september", "october",   "november",
        "december", "christmas", "eve",      "birthday", "holiday",  "holidays",  "summer",    "winter",
        "spring",   "autumn",    "fall",     "earlier",  "later",    "soon",      "recently",  "since"};
    for (char c : text)
        if (std::isdigit(static_cast<unsigned char>(c)))
            return true;
    for (const std::string& w : words(text))
        if (time_words.count(w))
            return true;
    return false;
}

// A question that asks when is answered by a turn that says when ("I started skiing in 2013",
// "we went yesterday"): on REALTALK, 65% of the evidence turns of "when" questions have a digit
// or a word of time, against 19% of all turns. Such turns keep more of their relevance.
void favour_turns_that_say_when(std::vector<Candidate>& found, std::string_view query) {
    constexpr double says_when = 1.4;
    if (!asks_when(query))
        return;
    for (Candidate& c : found)
        if (c.kind == Kind::Episode && tells_time(c.text))
            c.bm25 *= says_when;
}

// A question that names a date ("What did Paola cook on 22.01.2024?") is answered by what was
// said around it, though not always on the day: a message about the evening comes after
// midnight, an account of the weekend on Monday. Memories within two days of the date keep
// twice their relevance; a filter would lose those a day off.
void favour_days_around(std::vector<Candidate>& found, std::optional<int64_t> named_day, std::chrono::seconds offset) {
    constexpr int64_t days_around = 2;
    constexpr double near_the_date = 2.0;
    if (!named_day)
        return;
    for (Candidate& c : found) {
        const int64_t day = local_day_of(c.time, offset);
        if (day >= *named_day - days_around && day <= *named_day + days_around)
            c.bm25 *= near_the_date;
    }
}

// Chat is mostly short ("haha yes!!"); what a person tells about their life takes words. On
// REALTALK a turn of 60 words or more is evidence for some question seven times as often as one
// of under 5. So an episode keeps (words / 60)^0.2 of its relevance, all of it from 60 words on:
// a mild prior that reorders close matches, not a filter (a 3-word turn keeps 55%).
void favour_informative_turns(std::vector<Candidate>& found) {
    constexpr double full_words = 60, exponent = 0.2;
    for (Candidate& c : found)
        if (c.kind == Kind::Episode)
            c.bm25 *= std::pow(std::min(double(words(c.text).size()), full_words) / full_words, exponent);
}

ErrorOr<std::vector<std::string>> neighbours(Database& db, const Candidate& c, int n) {
    std::vector<std::string> before, after;
    if (n <= 0 || c.conversation.empty())
        return before;
    auto prev =
        OS1_TRY(db.prepare("SELECT speaker, text FROM memories WHERE kind = 'episode' AND conversation = ?1 "
                           "AND (time < ?2 OR (time = ?2 AND id < ?3)) ORDER BY time DESC, id DESC LIMIT ?4"));
    prev.bind(1, c.conversation).bind(2, c.time).bind(3, c.id).bind(4, int64_t(n));
    while (OS1_TRY(prev.step()))
        before.push_back(prev.column_text(0) + ": " + prev.column_text(1));
    auto next =
        OS1_TRY(db.prepare("SELECT speaker, text FROM memories WHERE kind = 'episode' AND conversation = ?1 "
                           "AND (time > ?2 OR (time = ?2 AND id > ?3)) ORDER BY time, id LIMIT ?4"));
    next.bind(1, c.conversation).bind(2, c.time).bind(3, c.id).bind(4, int64_t(n));
    while (OS1_TRY(next.step()))
        after.push_back(next.column_text(0) + ": " + next.column_text(1));
    std::reverse(before.begin(), before.end());
    before.insert(before.end(), after.begin(), after.end());
    return before;
}

// Adds the memories nearest to the query (id, cosine; best first) to the BM25 candidates and
// sets each candidate's relevance to the fusion of its BM25 score and cosine (vectors.h).
ErrorOr<void> fuse(Database& db, const std::vector<std::pair<int64_t, float>>& nearest, std::vector<Candidate>& found) {
    if (nearest.empty())
        return {};
    std::vector<std::pair<int64_t, double>> lexical;
    std::unordered_set<int64_t> known;
    for (const Candidate& c : found) {
        lexical.push_back({c.id, c.bm25});
        known.insert(c.id);
    }
    std::vector<int64_t> missing;
    for (const auto& [id, cosine] : nearest)
        if (!known.count(id))
            missing.push_back(id);
    std::unordered_map<int64_t, Candidate> added = OS1_TRY(read_candidates(db, missing));
    for (int64_t id : missing)
        if (auto it = added.find(id); it != added.end())
            found.push_back(std::move(it->second));
    std::unordered_map<int64_t, double> fused = detail::fuse_relevance(lexical, nearest);
    for (Candidate& c : found)
        c.relevance = fused.count(c.id) ? fused[c.id] : 0;
    return {};
}

size_t estimate_tokens(const Hit& hit) {
    size_t bytes = hit.text.size();
    for (const std::string& line : hit.context)
        bytes += line.size() + 1;
    return bytes / 4 + 1;
}

}  // namespace

ErrorOr<std::vector<Hit>> MemoryStore::search(std::string_view query_view, const SearchOptions& options) {
    if (!is_valid_utf8(query_view))
        return make_error("search: the query is not valid UTF-8");
    if (query_view.size() > max_text_bytes)
        return make_error("search: the query of " + std::to_string(query_view.size()) + " bytes is over the limit of " +
                          std::to_string(max_text_bytes));
    if (options.k <= 0)
        return std::vector<Hit>();
    const int64_t now = options.now;
    std::string query(query_view);
    std::optional<TimeRange> range = parse_time_expression(query, now, options.zone);
    const std::optional<int64_t> named_day = parse_named_date(query, now, options.zone);
    std::vector<std::string> terms = query_terms(query);
    const bool about_user = asks_about_user(query);
    // Whom the question names, when it names some of the speakers but not all: their names
    // are no longer words to match (the turns that contain them are others addressing them),
    // unless nothing else is left to match.
    const std::vector<std::string> speakers = OS1_TRY(episode_speakers(m_db));
    NamedSpeakers named = named_speakers(query, speakers);
    if (named.speakers.size() >= speakers.size())
        named = {};
    if (!named.speakers.empty()) {
        std::vector<std::string> rest;
        for (const std::string& t : terms)
            if (std::find(named.words.begin(), named.words.end(), t) == named.words.end())
                rest.push_back(t);
        if (!rest.empty())
            terms = std::move(rest);
    }
    // Vectors also match a query of stopwords only ("who am I?").
    const bool dense = m_embedder && !trim(query).empty();
    if (terms.empty() && !range && !dense)
        return std::vector<Hit>();
    std::unordered_map<std::string, int64_t> frequencies;
    std::vector<std::string> expressions = OS1_TRY(match_expressions(m_db, terms, frequencies));

    const int64_t limit = std::max<int64_t>(50, int64_t(options.k) * 5);
    const size_t enough = size_t(options.k);
    std::vector<Candidate> found;
    if (expressions.empty()) {
        if (range)
            found = OS1_TRY(in_range(m_db, *range, limit, about_user));
    } else {
        found = OS1_TRY(candidates(m_db, expressions, range, limit, enough));
        // Nothing in the range matches the words: the range alone, then the words alone.
        if (found.empty() && range)
            found = OS1_TRY(in_range(m_db, *range, limit, about_user));
        if (found.empty() && range)
            found = OS1_TRY(candidates(m_db, expressions, std::nullopt, limit, enough));
        OS1_TRY(follow_names(m_db, found, terms, range, limit));
        OS1_TRY(lend_relevance_to_neighbours(m_db, found));
        OS1_TRY(favour_best_sittings(m_db, found, terms, frequencies, options.zone(from_unix_seconds(now))));
    }
    prefer_named_speakers(found, named.speakers);
    favour_informative_turns(found);
    favour_turns_that_say_when(found, query_view);
    favour_days_around(found, named_day, options.zone(from_unix_seconds(now)));

    double best = 0;
    for (const Candidate& c : found)
        best = std::max(best, c.bm25);
    for (Candidate& c : found)
        c.relevance = best > 0 ? c.bm25 / best : 0;
    if (dense)
        OS1_TRY(fuse(m_db, OS1_TRY(nearest_by_vector(query, size_t(limit), range)), found));

    const double half_life = std::max(options.recency_half_life_days, 0.001);
    for (Candidate& c : found) {
        double relevance = c.relevance;
        // In doubles: `now - c.time` overflows an int64_t for times far apart.
        double age_days = std::max(0.0, double(now) - double(c.time)) / 86400.0;
        double recency = std::pow(0.5, age_days / half_life);
        c.score = 0.65 * relevance + 0.15 * recency + 0.2 * c.importance;
        if (c.superseded)
            c.score *= 0.5;
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });

    std::vector<Hit> hits;
    std::unordered_set<std::string> seen;
    size_t used_tokens = 0;
    for (const Candidate& c : found) {
        if (int(hits.size()) >= options.k)
            break;
        if (!seen.insert(normalize(c.text)).second)
            continue;
        Hit hit;
        hit.id = c.id;
        hit.kind = c.kind;
        hit.text = c.text;
        hit.score = c.score;
        hit.time = c.time;
        if (c.kind == Kind::Episode)
            hit.context = OS1_TRY(neighbours(m_db, c, options.neighbours));
        if (options.token_budget) {
            size_t cost = estimate_tokens(hit);
            if (used_tokens + cost > options.token_budget) {
                hit.context.clear();
                cost = estimate_tokens(hit);
            }
            if (used_tokens + cost > options.token_budget)
                continue;
            used_tokens += cost;
        }
        if (c.kind == Kind::Episode)
            hit.source_turns = {c.source_id};
        else
            hit.source_turns = OS1_TRY(source_turns_of(c.id));
        hits.push_back(std::move(hit));
    }
    return hits;
}

}  // namespace os1::memory
