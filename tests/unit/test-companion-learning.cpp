// Background learning through the host, with a scripted model in place of a real one: a
// reflection that fails is tried again on a later turn (not on every turn, and not lost by a
// restart). The clock and the zone are fixed, whatever the machine's.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "companion/host.h"
#include "memory/memory.h"
#include "support/host-turns.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;
using companion::TurnEvent;

namespace {

const UtcOffset utc = fixed_utc_offset(std::chrono::seconds(0));

// Answers each kind of request as a model would, and keeps them all: a reply echoes the
// message, fact extraction gets `facts`, reflection cites the first memory it is shown (or
// fails while `reflection_down`), and anything else (the appraisal, the journal) gets a line.
class ScriptedModel : public llm::Backend {
public:
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        std::lock_guard lock(m_mutex);
        requests.push_back(request);
        auto reply = std::make_shared<llm::Reply>();
        if (request.grammar == memory::reflection_grammar) {
            ++reflection_calls;
            if (reflection_down) {
                reply->fail(make_error(ErrorKind::Unavailable, "the model server went away"));
                return reply;
            }
            const std::string& listing = request.messages.back().content;
            const std::string first_id = listing.substr(1, listing.find(']') - 1);
            reply->push_text(R"({"insights":[{"text":"The user keeps climbing, whatever the weather.",)"
                             R"("importance":0.7,"sources":[)" +
                             first_id + "]}]}");
        } else if (request.grammar == memory::fact_grammar) {
            reply->push_text(facts);
        } else if (request.grammar.empty() && request.messages.front().content.find("private journal") !=
                                                  std::string::npos) {
            reply->push_text("A good day with them.");
        } else if (request.grammar.empty()) {
            reply->push_text("echo: " + request.messages.back().content);
        } else {
            reply->push_text("{}");
        }
        reply->finish({});
        return reply;
    }
    llm::BackendInfo info() const override { return {"scripted", "scripted", "none", 4096, 2}; }

    // The requests made so far whose first message contains `marker`.
    std::vector<llm::ChatRequest> requests_with(const std::string& marker) {
        std::lock_guard lock(m_mutex);
        std::vector<llm::ChatRequest> out;
        for (const llm::ChatRequest& r : requests)
            if (r.messages.front().content.find(marker) != std::string::npos)
                out.push_back(r);
        return out;
    }

    std::atomic<bool> reflection_down{false};
    std::atomic<int> reflection_calls{0};
    std::string facts = R"({"facts":[]})";  // set between turns only
    std::vector<llm::ChatRequest> requests;

private:
    std::mutex m_mutex;
};

Timestamp at(const char* iso) { return from_unix_seconds(memory::parse_iso8601(iso).value()); }

companion::HostOptions learning_host(const fs::path& home, std::atomic<int64_t>& clock_ms) {
    companion::HostOptions options;
    options.home = home;
    options.environment.clock = [&clock_ms] { return Timestamp{std::chrono::milliseconds{clock_ms.load()}}; };
    options.environment.zone = utc;  // the host's default zone; a user may have their own
    return options;
}

// Says `text` and waits for the reply and for what is learned from it.
TurnEvent say_and_learn(companion::CompanionHost& host, companion::Conversation& conversation,
                        const std::string& text) {
    auto turn = conversation.say(text);
    EXPECT_TRUE(turn) << turn.error().message;
    TurnEvent end;
    TurnEvent prepared;
    for (;;) {
        TurnEvent event = turn->next();
        if (event.kind == TurnEvent::Kind::Prepared)
            prepared = event;
        if (event.kind == TurnEvent::Kind::Done || event.kind == TurnEvent::Kind::Failed) {
            end = event;
            break;
        }
    }
    EXPECT_EQ(end.kind, TurnEvent::Kind::Done) << end.text;
    host.drain();
    return prepared;
}

}  // namespace

TEST(CompanionLearning, AFailedReflectionIsRetriedOnALaterTurnNotOnEveryTurnAndSurvivesARestart) {
    const fs::path home = test::unique_temp_dir("learning-retry");
    std::atomic<int64_t> clock_ms{unix_seconds(at("2026-03-10T12:00:00Z")) * 1000};
    ScriptedModel model;
    model.reflection_down = true;
    companion::HostOptions options = learning_host(home, clock_ms);
    options.companion.reflection_threshold = 1.5;  // two exchanges: 2 x (0.5 + 0.3)
    {
        companion::CompanionHost host(model, options);
        auto conversation = host.open("sam");
        ASSERT_TRUE(conversation) << conversation.error().message;
        say_and_learn(host, *conversation, "I went climbing this morning.");
        EXPECT_EQ(model.reflection_calls, 0) << "not due after one exchange";
        say_and_learn(host, *conversation, "And I climbed again in the afternoon.");
        EXPECT_EQ(model.reflection_calls, 1);
        EXPECT_GE(host.background_stats().failed, 1u) << "the failed reflection is reported";
        // The next turns come before the wait is over: the model is not asked again.
        clock_ms += 60'000;
        say_and_learn(host, *conversation, "My arms are tired now.");
        clock_ms += 60'000;
        say_and_learn(host, *conversation, "Time for dinner.");
        EXPECT_EQ(model.reflection_calls, 1);
        auto store = memory::MemoryStore::open(home / "users" / "sam");
        ASSERT_TRUE(store);
        EXPECT_NEAR(store->importance_since_reflection().value(), 3.2, 1e-9) << "nothing lost to the failure";
        EXPECT_TRUE(store->list(memory::Kind::Reflection, 10)->empty());
    }
    // A restart: the next process keeps the wait and then tries again, and this time it works.
    model.reflection_down = false;
    clock_ms += 8 * 60'000;  // ten minutes after the failed try
    companion::CompanionHost host(model, options);
    auto conversation = host.open("sam");
    ASSERT_TRUE(conversation) << conversation.error().message;
    say_and_learn(host, *conversation, "Climbing tomorrow as well.");
    EXPECT_EQ(model.reflection_calls, 2);
    auto store = memory::MemoryStore::open(home / "users" / "sam");
    ASSERT_TRUE(store);
    auto reflections = store->list(memory::Kind::Reflection, 10);
    ASSERT_TRUE(reflections);
    ASSERT_EQ(reflections->size(), 1u);
    EXPECT_EQ(reflections->front().text, "The user keeps climbing, whatever the weather.");
    EXPECT_DOUBLE_EQ(store->importance_since_reflection().value(), 0.0);
    // The memories of the first exchanges were among those shown to the retry.
    auto retry = model.requests_with("You reflect on what you remember");
    ASSERT_EQ(retry.size(), 2u);
    EXPECT_NE(retry.back().messages.back().content.find("I went climbing this morning."), std::string::npos)
        << retry.back().messages.back().content;
}
