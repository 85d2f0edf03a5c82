// The turn pipeline without a model: composing the prompt, recall, onboarding.
#include <gtest/gtest.h>

#include <filesystem>

#include "companion/companion.h"
#include "memory/conversation-store.h"

using namespace os1;
namespace fs = std::filesystem;

namespace {

fs::path fresh_user(const std::string& name) {
    fs::path dir = fs::path(::testing::TempDir()) / ("os1-companion-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

memory::Turn turn(const std::string& role, const std::string& text) { return {0, 1, role, text, 0}; }

// Answers every request with the same text, as a model under a grammar might.
class CannedBackend : public llm::Backend {
public:
    explicit CannedBackend(std::string answer) : m_answer(std::move(answer)) {}
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest) override {
        auto reply = std::make_shared<llm::Reply>();
        reply->push_text(m_answer);
        reply->finish({});
        return reply;
    }
    llm::BackendInfo info() const override { return {"canned", "canned", "none", false, 4096, 2}; }

private:
    std::string m_answer;
};

}  // namespace

TEST(CompanionPipeline, ChangingContextSitsJustBeforeTheNewestMessage) {
    auto companion = companion::Companion::open(fresh_user("compose"), {});
    ASSERT_TRUE(companion) << companion.error().message;
    ASSERT_TRUE(companion.value()->observe_user("I feel wonderful today!"));
    auto messages = companion.value()->compose(
        {turn("user", "hello"), turn("assistant", "hi"), turn("user", "I feel wonderful today!")});
    ASSERT_TRUE(messages) << messages.error().message;
    const auto& m = messages.value();
    ASSERT_EQ(m.size(), 5u);
    EXPECT_EQ(m[0].role, "system");
    EXPECT_EQ(m[1].content, "hello");
    EXPECT_EQ(m[3].role, "system") << "the mood and memories go right before the newest user message";
    EXPECT_EQ(m[4].content, "I feel wonderful today!");

    // The stable prefix (persona prompt and earlier turns) is identical from turn to turn.
    ASSERT_TRUE(companion.value()->observe_user("and now I am sad"));
    auto next = companion.value()->compose({turn("user", "hello"), turn("assistant", "hi"),
                                            turn("user", "I feel wonderful today!"), turn("assistant", "great"),
                                            turn("user", "and now I am sad")});
    ASSERT_TRUE(next);
    EXPECT_EQ(next.value()[0].content, m[0].content);
}

TEST(CompanionPipeline, RememberedFactsAreRecalledAndExplained) {
    auto companion = companion::Companion::open(fresh_user("recall"), {});
    ASSERT_TRUE(companion);
    auto id = companion.value()->remember("my sister is called Mia");
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(companion.value()->observe_user("do you remember my sister?"));
    const auto& recalled = companion.value()->last_recall();
    ASSERT_FALSE(recalled.empty());
    EXPECT_EQ(recalled.front().id, id.value());
    auto messages = companion.value()->compose({turn("user", "do you remember my sister?")});
    ASSERT_TRUE(messages);
    EXPECT_NE(messages.value()[1].content.find("my sister is called Mia"), std::string::npos);

    ASSERT_TRUE(companion.value()->forget(id.value()).value());
    ASSERT_TRUE(companion.value()->observe_user("do you remember my sister?"));
    EXPECT_TRUE(companion.value()->last_recall().empty());
}

TEST(CompanionPipeline, OnboardingNamesTheCompanionAndPersists) {
    fs::path user = fresh_user("onboarding");
    {
        auto companion = companion::Companion::open(user, {});
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
    auto reopened = companion::Companion::open(user, {});
    ASSERT_TRUE(reopened);
    EXPECT_FALSE(reopened.value()->needs_onboarding());
    auto messages = reopened.value()->compose({turn("user", "hi")});
    ASSERT_TRUE(messages);
    EXPECT_NE(messages.value()[0].content.find("You are " + reopened.value()->name()), std::string::npos);
    EXPECT_NE(messages.value()[0].content.find("called Theo"), std::string::npos);
    EXPECT_EQ(messages.value()[0].content.find("{{"), std::string::npos) << "card macros must be filled in";
}

TEST(CompanionPipeline, CoreEditsAfterAReplyAreCheckedAgainstTheRealPersonaPrompt) {
    fs::path user = fresh_user("core-edits");
    {
        auto conversations = memory::ConversationStore::open(user);
        ASSERT_TRUE(conversations) << conversations.error().message;
        int64_t c = conversations->create_conversation("chat", 10).value();
        ASSERT_TRUE(conversations->append_turn(
            c, "user", "My sister Lena moved to Lisbon. I adore the night sky and quote poems about comets.", 11));
        ASSERT_TRUE(conversations->append_turn(c, "assistant", "Lisbon has dark skies by the sea.", 12));
    }
    // The user's words support both edits; only the persona prompt (--system here) can tell
    // the second one apart: it is the companion's own description, not the user's.
    CannedBackend backend(
        R"({"facts":[],"core":[{"block":"human","op":"append","text":"Sister Lena moved to Lisbon.","turns":["turn:1"]},)"
        R"({"block":"human","op":"append","text":"You adore the night sky and quote poems about comets.","turns":["turn:1"]}]})");
    companion::CompanionOptions options;
    options.system_prompt = "You are Juniper. You adore the night sky and quote poems about comets.";
    {
        auto companion = companion::Companion::open(user, options);
        ASSERT_TRUE(companion) << companion.error().message;
        companion.value()->after_reply(&backend);
    }  // joins the background pass
    auto store = memory::MemoryStore::open(user);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->core_block("human").value(), "Sister Lena moved to Lisbon.");
}
