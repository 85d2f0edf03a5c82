// The fact-extraction grammar on a real (random-weight) model: llama.cpp must accept it, and
// sampling under it must produce its JSON shape.
#include <gtest/gtest.h>

#include <filesystem>

#include "llm/llm.h"
#include "memory/memory.h"
#include "support/tiny-engine.h"
#include "support/temp-dir.h"

namespace fs = std::filesystem;
using namespace os1;

TEST(MemoryGrammar, TheModelFollowsTheFactGrammar) {
    auto engine = llm::open_local_engine(tiny_engine_options(1024));
    ASSERT_TRUE(engine) << engine.error().message;

    llm::ChatRequest request;
    request.messages = {{"user", "I moved to Berlin."}};
    request.sampling.temperature = 0;
    request.sampling.max_tokens = 48;
    request.grammar = memory::fact_grammar;
    auto text = engine.value()->submit(request)->collect();
    ASSERT_TRUE(text) << text.error().message;  // a grammar llama.cpp rejects fails here
    std::string compact;
    for (char c : text.value())
        if (c != ' ' && c != '\t' && c != '\n')
            compact += c;
    // Every output the grammar allows starts like this; 48 tokens reach past it.
    EXPECT_EQ(compact.rfind("{\"facts\":[", 0), 0u) << text.value();

    // The whole path: whatever the random model writes is either stored after checks or
    // refused as incomplete JSON; it never crashes and never stores unchecked text.
    auto store = memory::MemoryStore::open(os1::test::unique_temp_dir("memory-grammar"));
    ASSERT_TRUE(store) << store.error().message;
    std::vector<memory::EpisodeInput> turns = {{"g1", "c", "Sam", "user", 1, "I moved to Berlin."}};
    auto result = memory::extract_facts(*engine.value(), store.value(), turns, "You are Juniper.", 2,
                                        fixed_utc_offset(std::chrono::seconds(0)));
    if (result.is_error()) {
        EXPECT_NE(result.error().message.find("not JSON"), std::string::npos) << result.error().message;
    }
}
