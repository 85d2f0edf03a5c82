// Background learning through the host, with a scripted model in place of a real one: a
// reflection that fails is tried again on a later turn (not on every turn, and not lost by a
// restart), and what the user tells of "yesterday" is dated in their own zone, for memory and
// for the journal alike. The clock and the zones are fixed, whatever the machine's.
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
#include "support/us-pacific.h"

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
        } else if (request.grammar.empty() &&
                   request.messages.front().content.find("private journal") != std::string::npos) {
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

Timestamp at(const char* iso) {
    return from_unix_seconds(memory::parse_iso8601(iso).value());
}

int64_t civil_day(int y, unsigned m, unsigned d) {
    return std::chrono::sys_days{std::chrono::year{y} / m / d}.time_since_epoch().count();
}

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

// The user's zone and UTC disagree about the date: at 2026-03-10T02:30:00Z it is still the
// evening of Monday 2026-03-09 in Los Angeles, so the user's "yesterday" is Sunday 2026-03-08
// (UTC's would be 2026-03-09). Memory and the journal must both take the user's.
TEST(CompanionLearning, YesterdayIsTheUsersYesterdayInMemoryAndInTheJournal) {
    const fs::path home = test::unique_temp_dir("learning-zone");
    std::atomic<int64_t> clock_ms{unix_seconds(at("2026-03-08T20:00:00Z")) * 1000};  // Sunday 13:00 in LA
    ScriptedModel model;
    companion::CompanionHost host(model, learning_host(home, clock_ms));
    companion::OpenOptions open;
    open.zone = test::us_pacific;
    auto conversation = host.open("sam", open);
    ASSERT_TRUE(conversation) << conversation.error().message;
    say_and_learn(host, *conversation, "A quiet Sunday at home.");

    clock_ms = unix_seconds(at("2026-03-10T02:30:00Z")) * 1000;
    model.facts = R"({"facts":[{"subject":"user","predicate":"visited","text":"The user went to the dentist.",)"
                  R"("importance":0.6,"turns":[]}]})";
    say_and_learn(host, *conversation, "Yesterday I went to the dentist.");
    model.facts = R"({"facts":[]})";

    // The model was told the user's date, not UTC's.
    auto extraction = model.requests_with("You extract durable facts");
    ASSERT_EQ(extraction.size(), 2u);
    EXPECT_NE(extraction.back().messages.back().content.find("Today is Monday, 2026-03-09 for the user."),
              std::string::npos)
        << extraction.back().messages.back().content;

    // The fact is dated on the user's Sunday.
    auto store = memory::MemoryStore::open(home / "users" / "sam");
    ASSERT_TRUE(store);
    auto facts = store->current_facts();
    ASSERT_TRUE(facts) << facts.error().message;
    ASSERT_EQ(facts->size(), 1u);
    const memory::Memory dentist = facts->front();
    EXPECT_EQ(local_day(from_unix_seconds(dentist.time), test::us_pacific), civil_day(2026, 3, 8))
        << memory::format_iso8601(dentist.time);

    // The journal's Sunday, written once Monday began, holds it: its yesterday is the same day.
    auto journal = model.requests_with("private journal");
    ASSERT_EQ(journal.size(), 1u);
    const std::string& material = journal.front().messages.back().content;
    EXPECT_NE(material.find("The day: 2026-03-08"), std::string::npos) << material;
    EXPECT_NE(material.find("fact: The user went to the dentist."), std::string::npos) << material;

    // Asked the same evening, "yesterday" recalls it.
    clock_ms = unix_seconds(at("2026-03-10T03:00:00Z")) * 1000;
    TurnEvent prepared = say_and_learn(host, *conversation, "What did I do yesterday?");
    bool recalled = false;
    for (const memory::Hit& hit : prepared.prepared.recalled)
        recalled = recalled || hit.id == dentist.id;
    EXPECT_TRUE(recalled) << "the dentist fact, dated on the user's yesterday, is recalled";
}
