// The onboarding naming step on a real local engine (a generated tiny model, label `model`):
// the naming grammar must parse in llama.cpp, and the reply must follow it.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "llm/llm.h"
#include "persona/persona.h"
#include "support/tiny-engine.h"

namespace {

using namespace os1;
namespace fs = std::filesystem;

TEST(PersonaNaming, GrammarConstrainsTheReplyOnARealEngine) {
    auto engine = llm::open_local_engine(tiny_engine_options(1024));
    ASSERT_TRUE(engine) << engine.error().message;

    persona::Onboarding onboarding;
    for (const char* answer : {"Sam", "planning my week", "climbing", "a new job"})
        ASSERT_TRUE(onboarding.answer(answer));
    llm::ChatRequest request = onboarding.naming_request(persona::default_card());
    request.sampling.temperature = 0;
    request.sampling.max_tokens = 200;

    llm::ReplyStats stats;
    auto reply = engine.value()->submit(request)->collect(&stats);
    // A grammar that llama.cpp could not parse would fail the reply.
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->rfind("{", 0), 0u) << reply.value();
    if (stats.stop_reason == llm::StopReason::EndOfGeneration) {
        auto name = persona::parse_name_reply(reply.value());
        EXPECT_TRUE(name) << reply.value() << ": " << name.error().message;
    }

    // Whatever the tiny model says, onboarding ends with a name and a reason.
    persona::choose_name(onboarding, persona::default_card(), engine.value().get());
    ASSERT_TRUE(onboarding.finished());
    EXPECT_FALSE(onboarding.name()->name.empty());
    EXPECT_FALSE(onboarding.name()->reason.empty());
}

}  // namespace
