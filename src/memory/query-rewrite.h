// Query rewriting with a chat model, before search. A question about someone's conversations is
// phrased unlike its answer: "What are Kate's hobbies?" is answered by Kate saying "I love
// skiing". A model can restate it in the answer's words; each restatement is searched, and the
// rankings are fused with the question's own. Off by default: the model-free search is the
// measured default, and this runs only when a caller asks (`--rewrite`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "memory/memory.h"

namespace os1::llm {
class Backend;
}

namespace os1::memory {

// At most this many restatements are searched, each at most max_rewrite_bytes long.
inline constexpr size_t max_rewrites = 3;
inline constexpr size_t max_rewrite_bytes = 200;

// GBNF grammar for the model's answer: {"queries":["I love skiing","Kate hobby"]}.
extern const char* const query_rewrite_grammar;

// The usable restatements in model output of query_rewrite_grammar's shape: valid UTF-8, not
// blank, at most max_rewrite_bytes, not the query again, no repeats; at most max_rewrites.
// Output that is not that JSON is an error (ErrorKind::InvalidInput).
ErrorOr<std::vector<std::string>> parse_rewrites(std::string_view json, std::string_view query);

struct RewrittenSearch {
    std::vector<Hit> hits;
    std::vector<std::string> rewrites;   // searched besides the query itself
    std::optional<std::string> problem;  // why no rewrite was used; the query alone was searched
};

// Asks `backend` (greedy, under query_rewrite_grammar) to restate `query`, searches the query and
// each restatement with `options`, and fuses the rankings by reciprocal rank (k = 60), the
// query's own counting double, so that a restatement adds candidates without overruling it.
// The fused hits are cut to options.k and packed into options.token_budget as search() packs
// them. A failed or unusable answer is no error: the query alone is searched and `problem` says
// why. Only a failing search is an error.
ErrorOr<RewrittenSearch> search_with_rewrites(llm::Backend& backend, MemoryStore& store, std::string_view query,
                                              const SearchOptions& options);

}  // namespace os1::memory
