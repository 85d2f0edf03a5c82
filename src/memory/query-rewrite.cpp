#include "memory/query-rewrite.h"

#include <algorithm>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "llm/llm.h"
#include "memory/text-util.h"

namespace os1::memory {

const char* const query_rewrite_grammar =
    R"gbnf(root ::= "{" ws "\"queries\"" ws ":" ws "[" ws (query (ws "," ws query){0,2})? ws "]" ws "}"
query ::= "\"" char{1,200} "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" ["\\/nt]
ws ::= [ \t\n]{0,4}
)gbnf";

namespace {

constexpr const char* instructions =
    "You turn a question about past conversations into search queries for a memory of chat messages. People "
    "write about themselves in the first person: \"What are Kate's hobbies?\" is answered by Kate writing \"I "
    "love skiing and hiking\". Reply with JSON only: {\"queries\":[...]}, at most 3 short queries in the words "
    "a message that answers the question would likely use. Keep names, dates and rare words; add likely "
    "synonyms; never answer the question yourself.";

size_t estimate_tokens(const Hit& hit) {
    size_t bytes = hit.text.size();
    for (const std::string& line : hit.context)
        bytes += line.size() + 1;
    return bytes / 4 + 1;
}

std::vector<Hit> fuse(const std::vector<std::vector<Hit>>& rankings, const SearchOptions& options) {
    constexpr double k = 60;
    struct Fused {
        Hit hit;
        double score = 0;
        size_t first_seen = 0;
    };
    std::unordered_map<int64_t, Fused> by_id;
    size_t order = 0;
    for (size_t r = 0; r < rankings.size(); ++r) {
        const double weight = r == 0 ? 2.0 : 1.0;  // the query itself first
        for (size_t rank = 0; rank < rankings[r].size(); ++rank) {
            const Hit& hit = rankings[r][rank];
            auto [it, added] = by_id.try_emplace(hit.id, Fused{hit, 0, order});
            order += added;
            it->second.score += weight / (k + double(rank + 1));
        }
    }
    std::vector<Fused> fused;
    for (auto& [id, f] : by_id)
        fused.push_back(std::move(f));
    std::sort(fused.begin(), fused.end(), [](const Fused& a, const Fused& b) {
        return a.score != b.score ? a.score > b.score : a.first_seen < b.first_seen;
    });
    std::vector<Hit> out;
    size_t used = 0;
    for (Fused& f : fused) {
        if (int(out.size()) >= options.k)
            break;
        if (options.token_budget) {
            const size_t cost = estimate_tokens(f.hit);
            if (used + cost > options.token_budget)
                continue;
            used += cost;
        }
        f.hit.score = f.score;
        out.push_back(std::move(f.hit));
    }
    return out;
}

}  // namespace

ErrorOr<std::vector<std::string>> parse_rewrites(std::string_view text, std::string_view query) {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("queries") || !doc["queries"].is_array())
        return make_error(ErrorKind::InvalidInput, "query rewrite: the model's answer is not {\"queries\":[...]}");
    std::vector<std::string> out;
    const std::string asked = normalize(query);
    for (const nlohmann::json& item : doc["queries"]) {
        if (out.size() >= max_rewrites)
            break;
        if (!item.is_string())
            continue;
        std::string rewrite = trim(item.get<std::string>());
        if (rewrite.empty() || rewrite.size() > max_rewrite_bytes || !is_valid_utf8(rewrite))
            continue;
        const std::string key = normalize(rewrite);
        if (key == asked ||
            std::any_of(out.begin(), out.end(), [&](const std::string& o) { return normalize(o) == key; }))
            continue;
        out.push_back(std::move(rewrite));
    }
    return out;
}

ErrorOr<RewrittenSearch> search_with_rewrites(llm::Backend& backend, MemoryStore& store, std::string_view query,
                                              const SearchOptions& options) {
    RewrittenSearch result;
    std::vector<std::vector<Hit>> rankings;
    rankings.push_back(OS1_TRY(store.search(query, options)));
    auto answer =
        backend.submit(llm::task_request(instructions, std::string(query), query_rewrite_grammar, 200))->collect();
    if (answer.is_error()) {
        result.problem = "query rewrite: the model failed: " + answer.error().message;
    } else if (auto rewrites = parse_rewrites(answer.value(), query); rewrites.is_error()) {
        result.problem = rewrites.error().message;
    } else if (rewrites->empty()) {
        result.problem = "query rewrite: the model gave no usable query";
    } else {
        result.rewrites = rewrites.release_value();
    }
    for (const std::string& rewrite : result.rewrites)
        rankings.push_back(OS1_TRY(store.search(rewrite, options)));
    result.hits = rankings.size() == 1 ? std::move(rankings.front()) : fuse(rankings, options);
    return result;
}

}  // namespace os1::memory
