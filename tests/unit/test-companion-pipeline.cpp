// The turn pipeline without a model: composing the prompt, recall, onboarding.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/canned-backend.h"
#include "companion/companion.h"
#include "companion/host.h"
#include "memory/conversation-store.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("companion-" + name);
}

// Noon on a fixed day in UTC: nothing depends on when or where the test runs.
Environment fixed_environment() {
    Environment env;
    env.clock = fixed_clock(from_unix_seconds(1'780'000'000));
    env.zone = fixed_utc_offset(std::chrono::seconds(0));
    return env;
}

ErrorOr<std::unique_ptr<companion::Companion>> open_companion(const fs::path& dir,
                                                              companion::CompanionOptions options = {}) {
    return companion::Companion::open(dir, std::move(options), fixed_environment());
}

memory::Turn turn(const std::string& role, const std::string& text) { return {0, 1, role, text, 0, false}; }

}  // namespace

TEST(CompanionPipeline, ChangingContextComesAfterTheNewestMessage) {
    auto companion = open_companion(fresh_dir("compose"));
    ASSERT_TRUE(companion) << companion.error().message;
    auto observed = companion.value()->observe_user("I feel wonderful today!");
    ASSERT_TRUE(observed);
    auto messages = companion.value()->compose(
        {turn("user", "hello"), turn("assistant", "hi"), turn("user", "I feel wonderful today!")},
        observed->recalled);
    ASSERT_TRUE(messages) << messages.error().message;
    const auto& m = messages.value();
    ASSERT_EQ(m.size(), 5u);
    EXPECT_EQ(m[0].role, "system");
    EXPECT_EQ(m[1].content, "hello");
    EXPECT_EQ(m[3].content, "I feel wonderful today!");
    EXPECT_EQ(m[4].role, "system") << "the mood and memories come after the newest user message";
    // What changes slowly (the relationship's tone, the temperament) is in the stable part.
    EXPECT_NE(m[0].content.find("Your temperament:"), std::string::npos);
    EXPECT_EQ(m[4].content.find("Your temperament:"), std::string::npos);

    // The stable prefix (persona prompt and earlier turns) is identical from turn to turn.
    auto sad = companion.value()->observe_user("and now I am sad");
    ASSERT_TRUE(sad);
    auto next = companion.value()->compose({turn("user", "hello"), turn("assistant", "hi"),
                                            turn("user", "I feel wonderful today!"), turn("assistant", "great"),
                                            turn("user", "and now I am sad")},
                                           sad->recalled);
    ASSERT_TRUE(next);
    // The next prompt repeats this one up to the changing context: the engine computes again
    // only from there.
    for (size_t i = 0; i < 4; ++i)
        EXPECT_EQ(next.value()[i].content, m[i].content) << "message " << i;
}

TEST(CompanionPipeline, RememberedFactsAreRecalledAndExplained) {
    auto companion = open_companion(fresh_dir("recall"));
    ASSERT_TRUE(companion);
    auto id = companion.value()->remember("my sister is called Mia");
    ASSERT_TRUE(id) << id.error().message;
    auto observed = companion.value()->observe_user("do you remember my sister?");
    ASSERT_TRUE(observed);
    const auto& recalled = observed->recalled;
    ASSERT_FALSE(recalled.empty());
    EXPECT_EQ(recalled.front().id, id.value());
    auto messages = companion.value()->compose({turn("user", "do you remember my sister?")}, recalled);
    ASSERT_TRUE(messages);
    EXPECT_NE(messages.value()[2].content.find("my sister is called Mia"), std::string::npos);

    ASSERT_TRUE(companion.value()->memory().forget(id.value()).value());
    auto again = companion.value()->observe_user("do you remember my sister?");
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->recalled.empty());
}

TEST(CompanionPipeline, OnboardingNamesTheCompanionAndPersists) {
    fs::path user = fresh_dir("onboarding");
    {
        auto companion = open_companion(user);
        ASSERT_TRUE(companion);
        EXPECT_TRUE(companion.value()->needs_onboarding());
        persona::Onboarding onboarding;
        for (const char* answer : {"Theo", "letters and my calendar", "walks by the sea", "a new job"})
            ASSERT_TRUE(onboarding.answer(answer));
        auto name = companion.value()->finish_onboarding(std::move(onboarding), nullptr);
        ASSERT_TRUE(name) << name.error().message;
        EXPECT_FALSE(name.value().name.empty());
        EXPECT_FALSE(name.value().reason.empty());
    }
    auto reopened = open_companion(user);
    ASSERT_TRUE(reopened);
    EXPECT_FALSE(reopened.value()->needs_onboarding());
    auto messages = reopened.value()->compose({turn("user", "hi")}, {});
    ASSERT_TRUE(messages);
    EXPECT_NE(messages.value()[0].content.find("You are " + reopened.value()->name()), std::string::npos);
    EXPECT_NE(messages.value()[0].content.find("called Theo"), std::string::npos);
    EXPECT_EQ(messages.value()[0].content.find("{{"), std::string::npos) << "card macros must be filled in";
    // The system prompt opens with instructions that hold nothing of the user's, so that the
    // engine may share their cache; what the user told onboarding follows them.
    const std::string instructions = reopened.value()->instructions();
    EXPECT_TRUE(messages.value()[0].content.starts_with(instructions));
    EXPECT_EQ(instructions.find("Theo"), std::string::npos);
}

TEST(CompanionPipeline, MemoriesOfTurnsAlreadyInThePromptAreNotRepeated) {
    auto companion = open_companion(fresh_dir("recall-in-prompt"));
    ASSERT_TRUE(companion);
    memory::Turn earlier = turn("user", "my sister Mia moved to Lisbon");
    earlier.id = 7;
    memory::Hit same_turn{.id = 1, .text = "my sister Mia moved to Lisbon", .source_turns = {"turn:7"}};
    memory::Hit older_turn{.id = 2, .text = "Mia plays the cello", .source_turns = {"turn:3"}};
    memory::Hit both{.id = 3, .text = "Mia lives in Lisbon and plays the cello", .source_turns = {"turn:7", "turn:3"}};
    auto messages = companion.value()->compose({earlier, turn("assistant", "oh nice"), turn("user", "tell me about Mia")},
                                               {same_turn, older_turn, both});
    ASSERT_TRUE(messages) << messages.error().message;
    const std::string& present = messages.value()[4].content;
    EXPECT_EQ(present.find("- my sister Mia moved to Lisbon"), std::string::npos);
    EXPECT_NE(present.find("- Mia plays the cello"), std::string::npos);
    EXPECT_NE(present.find("- Mia lives in Lisbon and plays the cello"), std::string::npos);
}

TEST(CompanionPipeline, CoreEditsAfterAReplyAreCheckedAgainstTheRealPersonaPrompt) {
    const fs::path home = fresh_dir("core-edits");
    // The user's words support both edits; only the persona prompt (--system here) can tell
    // the second one apart: it is the companion's own description, not the user's. The canned
    // model answers every request (the reply too) with the extraction; turn:1 is the user's.
    test::CannedBackend backend(
        R"({"facts":[],"core":[{"block":"human","op":"append","text":"Sister Lena moved to Lisbon.","turns":["turn:1"]},)"
        R"({"block":"human","op":"append","text":"You adore the night sky and quote poems about comets.","turns":["turn:1"]}]})");
    companion::HostOptions options;
    options.home = home;
    options.environment = fixed_environment();
    options.companion.system_prompt = "You are Juniper. You adore the night sky and quote poems about comets.";
    {
        companion::CompanionHost host(backend, options);
        auto conversation = host.open("lena");
        ASSERT_TRUE(conversation) << conversation.error().message;
        auto turn = conversation->say(
            "My sister Lena moved to Lisbon. I adore the night sky and quote poems about comets.");
        ASSERT_TRUE(turn) << turn.error().message;
        companion::TurnEvent event;
        do
            event = turn->next();
        while (event.kind != companion::TurnEvent::Kind::Done && event.kind != companion::TurnEvent::Kind::Failed);
        ASSERT_EQ(event.kind, companion::TurnEvent::Kind::Done) << event.text;
        EXPECT_EQ(event.user_turn_id, 1);
        host.drain();
        EXPECT_EQ(host.background_stats().succeeded, 1u);
    }
    auto store = memory::MemoryStore::open(home / "users" / "lena");
    ASSERT_TRUE(store);
    EXPECT_EQ(store->core_block("human").value(), "Sister Lena moved to Lisbon.");
}
