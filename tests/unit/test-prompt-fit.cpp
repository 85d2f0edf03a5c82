#include <gtest/gtest.h>

#include "llm/prompt-fit.h"

using namespace os1;
using namespace os1::llm;

namespace {

// Counts one token per character of content, plus two per message for the template.
ErrorOr<int32_t> count(const std::vector<Message>& messages) {
    int32_t total = 0;
    for (const Message& message : messages)
        total += int32_t(message.content.size()) + 2;
    return total;
}

std::vector<Message> conversation(int turns) {
    std::vector<Message> messages{{"system", "persona"}};
    for (int i = 0; i < turns; ++i) {
        messages.push_back({"user", "question " + std::to_string(i)});
        messages.push_back({"assistant", "answer " + std::to_string(i)});
    }
    messages.push_back({"user", "newest"});
    return messages;
}

}  // namespace

TEST(PromptFit, KeepsEverythingThatFits) {
    auto fitted = fit_prompt(conversation(3), 0, 1000, 1000, count);
    ASSERT_TRUE(fitted);
    EXPECT_EQ(fitted->dropped, 0);
    EXPECT_EQ(fitted->messages.size(), conversation(3).size());
}

TEST(PromptFit, DropsOldestTurnsToThreeQuartersAndKeepsSystemAndNewest) {
    auto fitted = fit_prompt(conversation(20), 0, 200, 1000, count);
    ASSERT_TRUE(fitted);
    EXPECT_GT(fitted->dropped, 0);
    EXPECT_LE(fitted->tokens, 150);
    EXPECT_EQ(fitted->messages.front().content, "persona");
    EXPECT_EQ(fitted->messages[1].role, "user");
    EXPECT_EQ(fitted->messages.back().content, "newest");
}

TEST(PromptFit, TheCutIsStickyAcrossTurns) {
    auto first = fit_prompt(conversation(20), 0, 200, 1000, count);
    ASSERT_TRUE(first);
    auto next = fit_prompt(conversation(21), first->dropped, 200, 1000, count);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->dropped, first->dropped) << "one more turn must not move the cut while it still fits";
}

TEST(PromptFit, EmptyAndOversizedInputsAreErrors) {
    EXPECT_TRUE(fit_prompt({}, 0, 100, 100, count).is_error());
    EXPECT_TRUE(fit_prompt({{"system", "only"}}, 0, 100, 100, count).is_error());
    auto huge = fit_prompt({{"user", std::string(500, 'x')}}, 0, 100, 120, count);
    ASSERT_TRUE(huge.is_error());
    EXPECT_NE(huge.error().message.find("longer than the whole context"), std::string::npos);
}

// A system message after the newest one (what changes every turn) stays with it: the newest
// message is never dropped, however long, and what follows it is never dropped either.
TEST(PromptFit, SystemMessagesAfterTheNewestStayWithIt) {
    std::vector<Message> messages = conversation(20);
    messages.push_back({"system", "mood and memories"});
    auto fitted = fit_prompt(messages, 0, 200, 1000, count);
    ASSERT_TRUE(fitted);
    EXPECT_GT(fitted->dropped, 0);
    ASSERT_GE(fitted->messages.size(), 3u);
    EXPECT_EQ(fitted->messages.back().content, "mood and memories");
    EXPECT_EQ(fitted->messages[fitted->messages.size() - 2].content, "newest");

    auto huge = fit_prompt({{"system", "persona"}, {"user", std::string(500, 'x')}, {"system", "mood"}}, 0, 100, 120,
                           count);
    ASSERT_TRUE(huge.is_error()) << "the newest message was dropped instead";
    EXPECT_NE(huge.error().message.find("longer than the whole context"), std::string::npos);
}
