// The turn pipeline without a model: composing the prompt, recall, onboarding.
#include <gtest/gtest.h>

#include <algorithm>
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

// One exchange through the companion as the host runs it: observe, compose over the stored
// turns, commit. Returns the composed prompt.
companion::ComposedPrompt exchange(companion::Companion& companion, int64_t conversation, const std::string& text,
                                   const std::string& reply) {
    auto observed = companion.observe_user(text);
    EXPECT_TRUE(observed) << observed.error().message;
    auto turns = companion.conversations().turns(conversation);
    EXPECT_TRUE(turns);
    turns->push_back({0, conversation, "user", text, 0, false});
    auto composed = companion.compose(conversation, *turns, observed->recalled);
    EXPECT_TRUE(composed) << composed.error().message;
    auto ids = companion.commit_exchange(conversation, text, 0, reply, memory::Interrupted::No, composed->context);
    EXPECT_TRUE(ids) << ids.error().message;
    return composed.release_value();
}

std::string all_text(const std::vector<llm::Message>& messages) {
    std::string text;
    for (const llm::Message& message : messages)
        text += message.role + ": " + message.content + "\n";
    return text;
}

}  // namespace

TEST(CompanionPipeline, ChangingContextComesAfterItsMessageAndStaysThere) {
    auto companion = open_companion(fresh_dir("compose"));
    ASSERT_TRUE(companion) << companion.error().message;
    auto conversation = companion.value()->conversations().create_conversation("", 0);
    ASSERT_TRUE(conversation);
    const companion::ComposedPrompt first = exchange(**companion, *conversation, "I feel wonderful today!", "great");
    const auto& m = first.messages;
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].role, "system");
    EXPECT_EQ(m[1].content, "I feel wonderful today!");
    EXPECT_EQ(m[2].role, "system") << "the mood comes after the newest user message";
    EXPECT_NE(m[2].content.find("You feel"), std::string::npos);
    // What changes slowly (the relationship's tone, the temperament) is in the stable part.
    EXPECT_NE(m[0].content.find("Your temperament:"), std::string::npos);
    EXPECT_EQ(m[2].content.find("Your temperament:"), std::string::npos);

    // The next prompt is this one, the reply, and the new message with its context: the
    // engine computes only what is new.
    const companion::ComposedPrompt second = exchange(**companion, *conversation, "and now I am sad", "oh no");
    const auto& next = second.messages;
    ASSERT_GE(next.size(), m.size() + 2);
    for (size_t i = 0; i < m.size(); ++i) {
        EXPECT_EQ(next[i].role, m[i].role) << "message " << i;
        EXPECT_EQ(next[i].content, m[i].content) << "message " << i;
    }
    EXPECT_EQ(next[m.size()].role, "assistant");
    EXPECT_EQ(next[m.size()].content, "great");
    EXPECT_EQ(next[m.size() + 1].content, "and now I am sad");
    // A context that would only repeat the mood already given is left out.
    if (second.context.moment.empty())
        EXPECT_EQ(next.size(), m.size() + 2);
    else
        EXPECT_NE(next.back().content.find(second.context.moment), std::string::npos);
}

TEST(CompanionPipeline, KeptContextsRepeatNoRecentMemoryAndLoseAForgottenOne) {
    auto companion = open_companion(fresh_dir("compose-forget"));
    ASSERT_TRUE(companion) << companion.error().message;
    auto mia = companion.value()->remember("my sister is called Mia");
    ASSERT_TRUE(mia);
    auto conversation = companion.value()->conversations().create_conversation("", 0);
    ASSERT_TRUE(conversation);
    const auto first = exchange(**companion, *conversation, "do you remember my sister?", "yes");
    ASSERT_EQ(first.context.memories, std::vector<int64_t>{*mia});
    const auto second = exchange(**companion, *conversation, "what is my sister called again?", "Mia");
    EXPECT_TRUE(second.context.memories.empty()) << "the memory is already in the prompt";
    const std::string text = all_text(second.messages);
    EXPECT_EQ(text.find("my sister is called Mia"), text.rfind("my sister is called Mia")) << text;

    // Past the last 8 user turns a context may have been cut from the prompt to fit the
    // window, so what it gave is said again.
    for (int turn = 3; turn <= 9; ++turn) {
        const auto later = exchange(**companion, *conversation, "do you remember my sister?", "yes");
        EXPECT_TRUE(std::find(later.context.memories.begin(), later.context.memories.end(), *mia) ==
                    later.context.memories.end())
            << "turn " << turn;
    }
    const auto tenth = exchange(**companion, *conversation, "do you remember my sister?", "yes");
    EXPECT_TRUE(std::find(tenth.context.memories.begin(), tenth.context.memories.end(), *mia) !=
                tenth.context.memories.end());

    // Forgotten through the store, as another process would: the kept context reads its
    // memories again, and the text is gone from the next prompt.
    ASSERT_TRUE(companion.value()->memory().forget(*mia).value());
    const auto third = exchange(**companion, *conversation, "tell me about my sister", "I do not know her");
    EXPECT_EQ(all_text(third.messages).find("called Mia"), std::string::npos) << all_text(third.messages);
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
    auto composed = companion.value()->compose(1, {turn("user", "do you remember my sister?")}, recalled);
    ASSERT_TRUE(composed);
    EXPECT_NE(composed->messages[2].content.find("my sister is called Mia"), std::string::npos);

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
    auto composed = reopened.value()->compose(1, {turn("user", "hi")}, {});
    ASSERT_TRUE(composed);
    const auto& messages = composed->messages;
    EXPECT_NE(messages[0].content.find("You are " + reopened.value()->name()), std::string::npos);
    EXPECT_NE(messages[0].content.find("called Theo"), std::string::npos);
    EXPECT_EQ(messages[0].content.find("{{"), std::string::npos) << "card macros must be filled in";
    // The system prompt opens with instructions that hold nothing of the user's, so that the
    // engine may share their cache; what the user told onboarding follows them.
    const std::string instructions = reopened.value()->instructions();
    EXPECT_TRUE(messages[0].content.starts_with(instructions));
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
    auto composed = companion.value()->compose(1, {earlier, turn("assistant", "oh nice"), turn("user", "tell me about Mia")},
                                               {same_turn, older_turn, both});
    ASSERT_TRUE(composed) << composed.error().message;
    const std::string& present = composed->messages[4].content;
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
