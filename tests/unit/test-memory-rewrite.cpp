// Query rewriting behind --rewrite: the mechanics, with a canned backend in place of a model.
// What a real model would write is not tested here (no model can be run in unit tests); what is
// tested is what os1 does with whatever it writes.
#include <gtest/gtest.h>

#include "llm/llm.h"
#include "memory/memory.h"
#include "memory/query-rewrite.h"
#include "support/canned-backend.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::memory;

namespace {

int64_t at(const char* iso) {
    return parse_iso8601(iso).value();
}

// Kate tells what she loves without the word "hobby"; Juno's question names it.
MemoryStore kate_and_juno() {
    auto store = MemoryStore::open(test::unique_temp_dir("memory-rewrite"));
    EXPECT_TRUE(store) << store.error().message;
    std::vector<EpisodeInput> turns = {
        {"j1", "s1", "Juno", "assistant", at("2024-01-02T10:00:00Z"), "Any hobbies besides work, Kate?"},
        {"x1", "s1", "Kate", "user", at("2024-01-02T10:01:00Z"), "Haha let me think."},
        {"x2", "s1", "Juno", "assistant", at("2024-01-02T10:02:00Z"), "Take your time."},
        {"k1", "s2", "Kate", "user", at("2024-01-05T10:00:00Z"), "I love skiing, I go every winter."},
    };
    for (int i = 0; i < 12; ++i)
        turns.push_back({"f" + std::to_string(i), "f" + std::to_string(i), i % 2 ? "Juno" : "Kate",
                         i % 2 ? "assistant" : "user", at("2024-01-03T18:00:00Z") + i * 3600,
                         "We talked about the weather again."});
    EXPECT_TRUE(store->import_episodes(turns));
    return store.release_value();
}

bool has_turn(const std::vector<Hit>& hits, const std::string& id) {
    for (const Hit& hit : hits)
        if (hit.source_turns == std::vector<std::string>{id})
            return true;
    return false;
}

SearchOptions options() {
    SearchOptions o;
    o.now = at("2024-01-10T00:00:00Z");
    o.neighbours = 0;
    return o;
}

}  // namespace

TEST(QueryRewrite, RestatementsAreSearchedAndFusedWithTheQuestion) {
    MemoryStore store = kate_and_juno();
    const char* question = "What are Kate's hobbies?";
    auto plain = store.search(question, options());
    ASSERT_TRUE(plain) << plain.error().message;
    ASSERT_FALSE(has_turn(plain.value(), "k1"));  // no word in common

    test::CannedBackend model(R"({"queries":["I love skiing","Kate hobbies"]})");
    auto rewritten = search_with_rewrites(model, store, question, options());
    ASSERT_TRUE(rewritten) << rewritten.error().message;
    EXPECT_FALSE(rewritten->problem);
    EXPECT_EQ(rewritten->rewrites, (std::vector<std::string>{"I love skiing", "Kate hobbies"}));
    EXPECT_TRUE(has_turn(rewritten->hits, "k1"));
    // The question's own best hit stays first: its ranking counts double.
    ASSERT_FALSE(rewritten->hits.empty());
    EXPECT_EQ(rewritten->hits.front().id, plain->front().id);
    EXPECT_LE(rewritten->hits.size(), 10u);

    // One greedy request under the grammar, the question as the data.
    EXPECT_EQ(model.calls, 1);
    EXPECT_EQ(model.last.grammar, query_rewrite_grammar);
    EXPECT_LE(model.last.sampling.temperature, 0.0f);
    ASSERT_EQ(model.last.messages.size(), 2u);
    EXPECT_EQ(model.last.messages[1].content, question);
}

TEST(QueryRewrite, AnUnusableAnswerSearchesTheQuestionAlone) {
    MemoryStore store = kate_and_juno();
    const char* question = "What are Kate's hobbies?";
    auto plain = store.search(question, options());
    ASSERT_TRUE(plain) << plain.error().message;
    for (const char* answer : {"I think Kate likes skiing.", R"({"queries":[)", R"({"queries":[]})",
                               R"({"queries":["What are Kate's hobbies?"]})"}) {
        test::CannedBackend model(answer);
        auto rewritten = search_with_rewrites(model, store, question, options());
        ASSERT_TRUE(rewritten) << rewritten.error().message;
        EXPECT_TRUE(rewritten->problem) << answer;
        EXPECT_TRUE(rewritten->rewrites.empty()) << answer;
        ASSERT_EQ(rewritten->hits.size(), plain->size()) << answer;
        for (size_t i = 0; i < plain->size(); ++i)
            EXPECT_EQ(rewritten->hits[i].id, plain.value()[i].id) << answer;
    }
}

TEST(QueryRewrite, OnlyUsableRestatementsAreKept) {
    auto kept = parse_rewrites(
        R"({"queries":["  I love skiing ","i love skiing!","What are Kate's hobbies?","",42,"ski trip","winter sports","one too many"]})",
        "What are Kate's hobbies?");
    ASSERT_TRUE(kept) << kept.error().message;
    // Trimmed; a repeat, the question itself, a blank and a non-string are dropped; at most three.
    EXPECT_EQ(kept.value(), (std::vector<std::string>{"I love skiing", "ski trip", "winter sports"}));
    EXPECT_TRUE(parse_rewrites(R"({"queries":[")" + std::string(max_rewrite_bytes + 1, 'a') + R"("]})", "q")
                    ->empty());
    EXPECT_TRUE(parse_rewrites("not json", "q").is_error());
    EXPECT_TRUE(parse_rewrites(R"({"other":[]})", "q").is_error());
}
