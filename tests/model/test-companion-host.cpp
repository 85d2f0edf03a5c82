// The companion host on the real local engine and a generated model (random weights, so nothing
// asserts wording): several users batched at once, a reply cut short mid-generation, and the
// conversation's KV cache kept across a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "companion/host.h"
#include "memory/conversation-store.h"
#include "support/host-turns.h"
#include "support/tiny-engine.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;
using companion::TurnEvent;

namespace {

fs::path fresh_home(const std::string& name) {
    return test::unique_temp_dir("host-model-" + name);
}

std::unique_ptr<llm::Backend> open_engine(int32_t parallel) {
    llm::set_llama_logging({});
    llm::LocalEngineOptions options = tiny_engine_options(1024);
    options.parallel = parallel;
    auto engine = llm::open_local_engine(options);
    EXPECT_TRUE(engine) << (engine ? "" : engine.error().message);
    return engine ? engine.release_value() : nullptr;
}

companion::HostOptions host_options(const fs::path& home, int32_t max_tokens) {
    companion::HostOptions options;
    options.home = home;
    options.environment.clock = fixed_clock(from_unix_seconds(1'780'000'000));
    options.environment.zone = fixed_utc_offset(std::chrono::seconds(0));
    options.companion.learn = false;  // learning is exercised by the chat tests
    options.sampling.temperature = 0;
    options.sampling.max_tokens = max_tokens;
    return options;
}

}  // namespace

TEST(CompanionHostOnEngine, UsersBatchedTogetherKeepTheirOwnHistoryAndCache) {
    const fs::path home = fresh_home("batched");
    constexpr int users = 6;
    // A sequence for each user plus the one kept for background work: with fewer, a user's
    // cache would be evicted or not depending on how the threads happen to interleave.
    auto engine = open_engine(/*parallel=*/users + 1);
    ASSERT_TRUE(engine);
    companion::CompanionHost host(*engine, host_options(home, 6));
    std::atomic<int> problems{0};
    std::vector<std::thread> clients;
    for (int u = 0; u < users; ++u) {
        clients.emplace_back([&, u] {
            auto conversation = host.open("user-" + std::to_string(u));
            if (!conversation) {
                ++problems;
                return;
            }
            for (int k = 0; k < 2; ++k) {
                auto turn = conversation->say("I am user " + std::to_string(u) + ", message " + std::to_string(k));
                if (!turn) {
                    ++problems;
                    return;
                }
                TurnEvent end;
                test::read_turn(turn.value(), end);
                if (end.kind != TurnEvent::Kind::Done)
                    ++problems;
                // The second turn reuses the cache of the first, whoever else was batched.
                if (k == 1 && end.stats.reused_tokens == 0)
                    ++problems;
            }
        });
    }
    for (std::thread& client : clients)
        client.join();
    EXPECT_EQ(problems, 0);
    for (int u = 0; u < users; ++u) {
        const std::string name = "user-" + std::to_string(u);
        std::vector<memory::Turn> turns = test::latest_turns(home, name);
        ASSERT_EQ(turns.size(), 4u) << name;
        for (int k = 0; k < 2; ++k)
            EXPECT_EQ(turns[2 * k].content, "I am user " + std::to_string(u) + ", message " + std::to_string(k));
    }
}

TEST(CompanionHostOnEngine, CancelMidReplyStoresExactlyWhatWasDelivered) {
    const fs::path home = fresh_home("cancel");
    auto engine = open_engine(/*parallel=*/2);
    ASSERT_TRUE(engine);
    companion::CompanionHost host(*engine, host_options(home, 100000));
    auto conversation = host.open("vera");
    ASSERT_TRUE(conversation);
    auto turn = conversation->say("Talk for a long time");
    ASSERT_TRUE(turn) << turn.error().message;
    std::string shown;
    while (shown.size() < 8) {
        TurnEvent event = turn->next();
        ASSERT_NE(event.kind, TurnEvent::Kind::Failed) << event.text;
        if (event.kind == TurnEvent::Kind::Done)
            GTEST_SKIP() << "the reply ended on its own before it could be interrupted";
        if (event.kind == TurnEvent::Kind::Text)
            shown += event.text;
    }
    turn->cancel();
    TurnEvent end;
    test::read_turn(turn.value(), end);
    ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    EXPECT_TRUE(end.interrupted);
    EXPECT_EQ(end.stats.stop_reason, llm::StopReason::Cancelled);
    std::vector<memory::Turn> turns = test::latest_turns(home, "vera");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[1].content, shown);
    EXPECT_TRUE(turns[1].interrupted);
}

TEST(CompanionHostOnEngine, TheConversationsCacheIsSavedOnCloseAndRestoredOnOpen) {
    const fs::path home = fresh_home("kv");
    {
        auto engine = open_engine(/*parallel=*/2);
        ASSERT_TRUE(engine);
        companion::CompanionHost host(*engine, host_options(home, 4));
        auto conversation = host.open("ida");
        ASSERT_TRUE(conversation);
        EXPECT_FALSE(conversation->restored_from_disk());
        auto turn = conversation->say("hello");
        ASSERT_TRUE(turn);
        TurnEvent end;
        test::read_turn(turn.value(), end);
        ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    }
    EXPECT_TRUE(fs::exists(home / "users" / "ida" / "kv" / "conversation-1.kv"));

    auto engine = open_engine(/*parallel=*/2);
    ASSERT_TRUE(engine);
    companion::CompanionHost host(*engine, host_options(home, 4));
    auto conversation = host.open("ida");
    ASSERT_TRUE(conversation);
    EXPECT_TRUE(conversation->restored_from_disk());
    auto turn = conversation->say("and again");
    ASSERT_TRUE(turn);
    TurnEvent end;
    test::read_turn(turn.value(), end);
    ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    EXPECT_GT(end.stats.reused_tokens, 0) << "resuming prefilled the conversation again";

    ASSERT_TRUE(conversation->reset());
    EXPECT_FALSE(fs::exists(home / "users" / "ida" / "kv" / "conversation-1.kv")) << "reset drops the saved cache";
}
