// Reflection on a real (random-weight) model: llama.cpp must accept reflection_grammar, and the
// whole pass must finish; whatever the model writes is either stored after the checks or
// reported as rejected. Random weights write nonsense, so only the mechanics are asserted.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "llm/llm.h"
#include "memory/memory.h"
#include "support/tiny-engine.h"
#include "support/temp-dir.h"

namespace fs = std::filesystem;
using namespace os1;

TEST(ReflectionModel, ATinyModelRunsTheWholeReflectionPass) {
    auto engine = llm::open_local_engine(tiny_engine_options(2048));
    ASSERT_TRUE(engine) << engine.error().message;

    fs::path dir = os1::test::unique_temp_dir("reflection-model");
    auto store = memory::MemoryStore::open(dir);
    ASSERT_TRUE(store) << store.error().message;
    std::vector<memory::EpisodeInput> turns;
    for (int i = 0; i < 6; ++i)
        turns.push_back({std::string("r").append(std::to_string(i)), "c", "Sam", "user", 100 + i,
                         std::string("I practised the cello for an hour, day ").append(std::to_string(i))});
    ASSERT_TRUE(store->import_episodes(turns));

    memory::ReflectionOptions reflection;
    reflection.threshold = 2.5;  // six user turns: 3.0
    auto result = memory::reflect_if_due(*engine.value(), store.value(), "You are Juniper.", 1000, reflection);
    ASSERT_TRUE(result) << result.error().message;  // a grammar llama.cpp rejects fails here
    EXPECT_TRUE(result->ran);
    EXPECT_EQ(result->shown.size(), 6u);
    EXPECT_DOUBLE_EQ(store->importance_since_reflection().value(), 0.0);
    std::printf("the model's insights: %zu stored, %zu rejected\n", result->stored.size(), result->rejected.size());
    for (const std::string& reason : result->rejected)
        std::printf("rejected: %s\n", reason.c_str());
    // Anything stored passed the checks: it cites only shown memories and has their provenance.
    for (int64_t id : result->stored) {
        auto reflection_memory = store->get(id).value();
        ASSERT_TRUE(reflection_memory);
        EXPECT_EQ(reflection_memory->kind, memory::Kind::Reflection);
        ASSERT_FALSE(reflection_memory->sources.empty());
        for (int64_t source : reflection_memory->sources)
            EXPECT_NE(std::find(result->shown.begin(), result->shown.end(), source), result->shown.end());
        EXPECT_FALSE(reflection_memory->source_turns.empty());
    }
    EXPECT_EQ(store->list(memory::Kind::Reflection, 10)->size(), result->stored.size());
}
