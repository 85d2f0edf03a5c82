// The companion host without a model: many users at once, two front ends on one user, cut-short
// and failed replies, and the background queue. The backends here are seams that answer in a
// known way, so that routing and storage can be checked exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "companion/background-queue.h"
#include "companion/host.h"
#include "companion/voice-reply.h"
#include "memory/conversation-store.h"
#include "support/gate.h"
#include "support/host-turns.h"
#include "memory/memory.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;
using companion::TurnEvent;

namespace {

fs::path fresh_home(const std::string& name) {
    return test::unique_temp_dir("host-" + name);
}

// Threads of this process, from /proc.
int thread_count() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("Threads:"))
            return std::stoi(line.substr(8));
    }
    return -1;
}

std::string last_user_message(const llm::ChatRequest& request) {
    for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
        if (it->role == "user")
            return it->content;
    }
    return {};
}

// Replies "echo: <the newest user message>" at once, so every reply names its question.
class EchoBackend : public llm::Backend {
public:
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        auto reply = std::make_shared<llm::Reply>();
        reply->push_text("echo: ");
        reply->push_text(last_user_message(request));
        reply->finish({});
        return reply;
    }
    llm::BackendInfo info() const override { return {"echo", "echo", "none", 4096, 4}; }
};

// Sends one piece, then holds the reply open until it is cancelled, as a long reply would.
class HoldingBackend : public llm::Backend {
public:
    ~HoldingBackend() override {
        for (std::thread& producer : m_producers)
            producer.join();
    }
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest) override {
        auto reply = std::make_shared<llm::Reply>();
        reply->push_text("Hello ");
        std::lock_guard lock(m_mutex);
        m_producers.emplace_back([reply] {
            while (!reply->cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a producer polling, as the engine does
            llm::ReplyStats stats;
            stats.stop_reason = llm::StopReason::Cancelled;
            reply->finish(stats);
        });
        m_replies.push_back(reply);
        return reply;
    }
    llm::BackendInfo info() const override { return {"holding", "holding", "none", 4096, 4}; }
    bool all_cancelled() {
        std::lock_guard lock(m_mutex);
        for (auto& reply : m_replies) {
            if (!reply->cancelled())
                return false;
        }
        return !m_replies.empty();
    }

private:
    std::mutex m_mutex;
    std::vector<std::thread> m_producers;
    std::vector<std::shared_ptr<llm::Reply>> m_replies;
};

// Fails the first request as a lost model server would, then echoes; keeps every request.
class FlakyBackend : public EchoBackend {
public:
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        requests.push_back(request);
        if (requests.size() == 1) {
            auto reply = std::make_shared<llm::Reply>();
            reply->push_text("half a rep");
            reply->fail(make_error(ErrorKind::Unavailable, "the model server went away"));
            return reply;
        }
        return EchoBackend::submit(std::move(request));
    }
    std::vector<llm::ChatRequest> requests;
};

// Answers live requests at once ("echo: <message>"); holds background ones (the companion's
// learning) until open() is called, and keeps every background prompt. A live request whose
// message is "say nothing" produces no text until it is cancelled.
class GatedLearningBackend : public llm::Backend {
public:
    ~GatedLearningBackend() override {
        open();
        for (std::thread& producer : m_producers)
            producer.join();
    }
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        auto reply = std::make_shared<llm::Reply>();
        std::lock_guard lock(m_mutex);
        if (request.priority == llm::Priority::Live) {
            const std::string message = last_user_message(request);
            if (message != "say nothing") {
                reply->push_text("echo: " + message);
                reply->finish({});
                return reply;
            }
            m_producers.emplace_back([reply] {
                while (!reply->cancelled())
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // as the engine polls
                llm::ReplyStats stats;
                stats.stop_reason = llm::StopReason::Cancelled;
                reply->finish(stats);
            });
            return reply;
        }
        std::string prompt;
        for (const llm::Message& message : request.messages)
            prompt += message.content + "\n";
        m_background_prompts.push_back(prompt);
        m_producers.emplace_back([this, reply] {
            m_gate.hold();
            reply->push_text("{}");
            reply->finish({});
        });
        return reply;
    }
    llm::BackendInfo info() const override { return {"gated", "gated", "none", 4096, 4}; }

    void open() { m_gate.open(); }
    // Background prompts that contain `text`.
    int background_prompts_with(const std::string& text) {
        std::lock_guard lock(m_mutex);
        int count = 0;
        for (const std::string& prompt : m_background_prompts)
            count += prompt.find(text) != std::string::npos;
        return count;
    }
    size_t background_requests() {
        std::lock_guard lock(m_mutex);
        return m_background_prompts.size();
    }

private:
    std::mutex m_mutex;
    test::Gate m_gate;  // holds the background replies
    std::vector<std::thread> m_producers;
    std::vector<std::string> m_background_prompts;
};

// A fixed clock that tests move by hand.
struct ManualClock {
    std::atomic<int64_t> ms{1'780'000'000'000};
    Clock clock() {
        return [this] { return Timestamp{std::chrono::milliseconds{ms.load()}}; };
    }
};

companion::HostOptions options_for(const fs::path& home, ManualClock& clock) {
    companion::HostOptions options;
    options.home = home;
    options.environment.clock = clock.clock();
    options.environment.zone = fixed_utc_offset(std::chrono::seconds(0));
    options.companion.learn = false;
    return options;
}

// Reads a voice reply's pieces until its done piece; returns their text. A piece that fails
// or does not come within ten seconds fails the test.
std::string read_voice_reply(voice::Reply& reply) {
    std::string text;
    for (;;) {
        auto piece = reply.next(std::chrono::seconds(10));
        if (!piece || !piece->has_value()) {
            ADD_FAILURE() << "no piece: " << (piece ? "timed out" : piece.error().message);
            return text;
        }
        if ((*piece)->done)
            return text;
        text += (*piece)->text;
    }
}

// Reads a turn to its end; returns the text it delivered and fills `end`.
}  // namespace

TEST(CompanionHost, FiftyUsersAtOnceAreAnsweredInIsolationWithoutAThreadPerTurn) {
    const fs::path home = fresh_home("many");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    const int threads_with_host = thread_count();

    constexpr int users = 50;
    constexpr int turns_each = 3;
    std::atomic<int> wrong{0};
    std::atomic<int> peak_threads{0};
    std::vector<std::thread> clients;
    for (int u = 0; u < users; ++u) {
        clients.emplace_back([&, u] {
            const std::string name = "user-" + std::to_string(u);
            auto conversation = host.open(name);
            if (!conversation) {
                ++wrong;
                return;
            }
            for (int k = 0; k < turns_each; ++k) {
                const std::string message = name + " says " + std::to_string(k);
                auto turn = conversation->say(message);
                if (!turn) {
                    ++wrong;
                    continue;
                }
                TurnEvent end;
                if (test::read_turn(turn.value(), end) != "echo: " + message || end.kind != TurnEvent::Kind::Done)
                    ++wrong;
                peak_threads = std::max(peak_threads.load(), thread_count());
            }
        });
    }
    for (std::thread& client : clients)
        client.join();
    EXPECT_EQ(wrong, 0);
    // The clients' own threads, and nothing per turn or per user beyond them.
    EXPECT_LE(peak_threads, threads_with_host + users);

    for (int u = 0; u < users; ++u) {
        const std::string name = "user-" + std::to_string(u);
        std::vector<memory::Turn> turns = test::latest_turns(home, name);
        ASSERT_EQ(turns.size(), size_t(2 * turns_each)) << name;
        for (int k = 0; k < turns_each; ++k) {
            const std::string message = name + " says " + std::to_string(k);
            EXPECT_EQ(turns[2 * k].role, "user");
            EXPECT_EQ(turns[2 * k].content, message);
            EXPECT_EQ(turns[2 * k + 1].role, "assistant");
            EXPECT_EQ(turns[2 * k + 1].content, "echo: " + message);
        }
    }

    // Idle users are unloaded: only the one opened after the idle time stays.
    EXPECT_EQ(host.loaded_users(), size_t(users));
    clock.ms += std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::minutes(11)).count();
    ASSERT_TRUE(host.open("late-comer"));
    EXPECT_EQ(host.loaded_users(), 1u);
}

TEST(CompanionHost, TextAndVoiceOnOneUserLoseNothing) {
    const fs::path home = fresh_home("two-front-ends");
    ManualClock clock;
    EchoBackend backend;
    constexpr int turns_each = 10;
    {
        companion::CompanionHost host(backend, options_for(home, clock));
        auto text = host.open("sam");
        auto voice = host.open("sam");
        ASSERT_TRUE(text && voice);
        ASSERT_EQ(text->id(), voice->id()) << "both front ends continue the same conversation";
        auto talk = [&](companion::Conversation& conversation, const std::string& via) {
            for (int k = 0; k < turns_each; ++k) {
                auto turn = conversation.say(via + " " + std::to_string(k) + ": I feel great");
                ASSERT_TRUE(turn) << turn.error().message;
                TurnEvent end;
                test::read_turn(turn.value(), end);
                ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
            }
        };
        std::thread typing(talk, std::ref(text.value()), "typed");
        std::thread speaking(talk, std::ref(voice.value()), "spoken");
        typing.join();
        speaking.join();
    }
    std::vector<memory::Turn> turns = test::latest_turns(home, "sam");
    ASSERT_EQ(turns.size(), size_t(4 * turns_each));
    for (size_t i = 0; i < turns.size(); i += 2) {
        EXPECT_EQ(turns[i].role, "user");
        EXPECT_EQ(turns[i + 1].content, "echo: " + turns[i].content) << "every message is followed by its own answer";
    }
    // Both front ends' messages moved the one relationship: none of the updates was lost.
    auto feelings = affect::CompanionState::open(home / "users" / "sam", affect::BigFive{}, clock.clock(),
                                                 fixed_utc_offset(std::chrono::seconds(0)));
    ASSERT_TRUE(feelings) << feelings.error().message;
    EXPECT_EQ(feelings->relationship().messages(), 2 * turns_each);
}

TEST(CompanionHost, CancelStoresOnlyWhatWasDelivered) {
    const fs::path home = fresh_home("cancel");
    ManualClock clock;
    HoldingBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("ana");
    ASSERT_TRUE(conversation);
    auto turn = conversation->say("tell me a long story");
    ASSERT_TRUE(turn);
    TurnEvent prepared = turn->next();
    EXPECT_EQ(prepared.kind, TurnEvent::Kind::Prepared);
    // Where the time went before the engine got the request: each stage took some.
    EXPECT_GT(prepared.prepared.appraise_ms, 0);
    EXPECT_GT(prepared.prepared.recall_ms, 0);
    EXPECT_GT(prepared.prepared.compose_ms, 0);
    TurnEvent piece = turn->next();
    ASSERT_EQ(piece.kind, TurnEvent::Kind::Text);
    EXPECT_EQ(piece.text, "Hello ");

    turn->cancel("Hel");  // a voice had played only this much
    TurnEvent end = turn->next();
    ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    EXPECT_TRUE(end.interrupted);
    EXPECT_TRUE(backend.all_cancelled()) << "the engine was told to stop";

    std::vector<memory::Turn> turns = test::latest_turns(home, "ana");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].content, "tell me a long story");
    EXPECT_EQ(turns[1].content, "Hel");
    EXPECT_TRUE(turns[1].interrupted);
    EXPECT_FALSE(turns[0].interrupted);
}

TEST(VoiceReplySource, AReplyToSpokenWordsStreamsInPiecesAndIsStored) {
    const fs::path home = fresh_home("voice-reply");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("vera");
    ASSERT_TRUE(conversation);
    companion::VoiceReplySource source(*conversation);

    auto reply = source.reply_to("good morning");
    ASSERT_TRUE(reply) << reply.error().message;
    const std::string heard = read_voice_reply(**reply);
    EXPECT_EQ(heard, "echo: good morning");
    EXPECT_TRUE(test::latest_turns(home, "vera").empty()) << "nothing is stored before it was played";

    (*reply)->played_through();
    EXPECT_EQ(source.last_end().kind, TurnEvent::Kind::Done);
    EXPECT_FALSE(source.last_end().interrupted);
    std::vector<memory::Turn> turns = test::latest_turns(home, "vera");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].content, "good morning");
    EXPECT_EQ(turns[1].content, "echo: good morning");
    EXPECT_FALSE(turns[1].interrupted);
}

TEST(VoiceReplySource, AReplyGeneratedInFullButCutWhilePlayingKeepsOnlyWhatWasPlayed) {
    const fs::path home = fresh_home("voice-cut-after-generation");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("vera");
    ASSERT_TRUE(conversation);
    companion::VoiceReplySource source(*conversation);

    auto reply = source.reply_to("how was your day");
    ASSERT_TRUE(reply) << reply.error().message;
    read_voice_reply(**reply);
    (*reply)->interrupt("echo: how");  // the user spoke while the speaker was still at "how"
    EXPECT_TRUE(source.last_end().interrupted);
    std::vector<memory::Turn> turns = test::latest_turns(home, "vera");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[1].content, "echo: how");
    EXPECT_TRUE(turns[1].interrupted);
}

TEST(VoiceReplySource, AReplyDroppedUndecidedIsStoredAsInterrupted) {
    const fs::path home = fresh_home("voice-dropped");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("vera");
    ASSERT_TRUE(conversation);
    companion::VoiceReplySource source(*conversation);
    {
        auto reply = source.reply_to("hello");
        ASSERT_TRUE(reply) << reply.error().message;
        read_voice_reply(**reply);
    }  // a speaker that died before it said how much it played
    std::vector<memory::Turn> turns = test::latest_turns(home, "vera");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[1].content, "echo: hello");
    EXPECT_TRUE(turns[1].interrupted) << "nobody said it was heard to the end";
}

TEST(VoiceReplySource, BargeInStoresExactlyWhatWasPlayedAloud) {
    const fs::path home = fresh_home("voice-barge-in");
    ManualClock clock;
    HoldingBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("vera");
    ASSERT_TRUE(conversation);
    companion::VoiceReplySource source(*conversation);

    auto reply = source.reply_to("tell me a long story");
    ASSERT_TRUE(reply) << reply.error().message;
    auto piece = (*reply)->next(std::chrono::seconds(10));
    ASSERT_TRUE(piece && piece->has_value());
    EXPECT_EQ((*piece)->text, "Hello ");

    (*reply)->interrupt("Hel");  // the speaker had played this much when the user spoke
    EXPECT_TRUE(backend.all_cancelled()) << "the engine was told to stop";
    EXPECT_EQ(source.last_end().kind, TurnEvent::Kind::Done);
    EXPECT_TRUE(source.last_end().interrupted);
    std::vector<memory::Turn> turns = test::latest_turns(home, "vera");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[1].content, "Hel");
    EXPECT_TRUE(turns[1].interrupted);
}

TEST(CompanionHost, DroppingAnUnfinishedTurnCancelsItAndKeepsWhatWasRead) {
    const fs::path home = fresh_home("drop");
    ManualClock clock;
    HoldingBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("ben");
    ASSERT_TRUE(conversation);
    {
        auto turn = conversation->say("are you there?");
        ASSERT_TRUE(turn);
        while (turn->next().kind != TurnEvent::Kind::Text) {
        }
    }  // a client that went away
    EXPECT_TRUE(backend.all_cancelled());
    std::vector<memory::Turn> turns = test::latest_turns(home, "ben");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[1].content, "Hello ");
    EXPECT_TRUE(turns[1].interrupted);
}

TEST(CompanionHost, AFailedReplyLeavesAConsistentHistory) {
    const fs::path home = fresh_home("failed");
    ManualClock clock;
    FlakyBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("cy");
    ASSERT_TRUE(conversation);
    auto first = conversation->say("first question");
    ASSERT_TRUE(first);
    TurnEvent end;
    test::read_turn(first.value(), end);
    ASSERT_EQ(end.kind, TurnEvent::Kind::Failed);
    EXPECT_EQ(end.error, ErrorKind::Unavailable);
    EXPECT_TRUE(test::latest_turns(home, "cy").empty()) << "no user message is stored without its answer";

    auto second = conversation->say("second question");
    ASSERT_TRUE(second);
    test::read_turn(second.value(), end);
    ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    // The next prompt does not carry two user messages in a row.
    const auto& messages = backend.requests.back().messages;
    for (size_t i = 1; i < messages.size(); ++i)
        EXPECT_FALSE(messages[i].role == "user" && messages[i - 1].role == "user");
    std::vector<memory::Turn> turns = test::latest_turns(home, "cy");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].content, "second question");
}

TEST(CompanionHost, ForgottenTurnsStayGoneAfterChattingAgain) {
    const fs::path home = fresh_home("forget");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("eve");
    ASSERT_TRUE(conversation);
    TurnEvent end;
    for (const char* text : {"my secret word is pineapple", "the weather is mild"}) {
        auto turn = conversation->say(text);
        ASSERT_TRUE(turn);
        test::read_turn(turn.value(), end);
        ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    }
    const fs::path user_dir = home / "users" / "eve";
    auto search = [&](const std::string& query) {
        auto store = memory::MemoryStore::open(user_dir);
        memory::SearchOptions options;
        options.now = clock.ms / 1000;
        return store->search(query, options).value();
    };
    std::vector<memory::Hit> hits = search("pineapple");
    ASSERT_EQ(hits.size(), 2u) << "the message and its echo";
    for (const memory::Hit& hit : hits)
        ASSERT_TRUE(conversation->forget(hit.id).value());

    auto again = conversation->say("what was my secret word?");
    ASSERT_TRUE(again);
    test::read_turn(again.value(), end);
    ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
    EXPECT_TRUE(search("pineapple").empty()) << "chatting again brought a forgotten turn back";
    for (const memory::Turn& turn : test::latest_turns(home, "eve"))
        EXPECT_EQ(turn.content.find("pineapple"), std::string::npos) << turn.content;
}

TEST(CompanionHost, BadUserNamesAndMessagesAreRefused) {
    const fs::path home = fresh_home("refused");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    for (const char* name : {"", ".", "..", "../../x", "a/b", "-rf"}) {
        auto conversation = host.open(name);
        ASSERT_FALSE(conversation) << name;
        EXPECT_EQ(conversation.error().kind, ErrorKind::InvalidInput) << name;
    }
    EXPECT_FALSE(fs::exists(home.parent_path() / "x" / "os1.db"));
    auto conversation = host.open("dee");
    ASSERT_TRUE(conversation);
    for (const std::string& text : {std::string("   "), std::string("caf\xC3"), std::string(40000, 'a')}) {
        auto turn = conversation->say(text);
        ASSERT_FALSE(turn);
        EXPECT_EQ(turn.error().kind, ErrorKind::InvalidInput);
    }
}

TEST(BackgroundQueue, FailuresAreCountedAndLoggedAndExceptionsCaught) {
    std::mutex log_mutex;
    std::vector<std::string> logged;
    companion::BackgroundQueue queue(1, 4, [&](LogLevel, std::string_view message) {
        std::lock_guard lock(log_mutex);
        logged.emplace_back(message);
    });
    ASSERT_TRUE(queue.post("fine", []() -> ErrorOr<void> { return {}; }));
    ASSERT_TRUE(queue.post("broken", []() -> ErrorOr<void> { return make_error("the model said nothing"); }));
    ASSERT_TRUE(queue.post("throwing", []() -> ErrorOr<void> { throw std::runtime_error("boom"); }));
    queue.drain();
    companion::BackgroundStats stats = queue.stats();
    EXPECT_EQ(stats.posted, 3u);
    EXPECT_EQ(stats.succeeded, 1u);
    EXPECT_EQ(stats.failed, 2u);
    EXPECT_EQ(stats.pending, 0u);
    ASSERT_EQ(logged.size(), 2u);
    EXPECT_EQ(logged[0], "broken: the model said nothing");
    EXPECT_NE(logged[1].find("boom"), std::string::npos);
}

TEST(BackgroundQueue, AFullQueueHoldsBackTheProducer) {
    companion::BackgroundQueue queue(1, 1, discard_log);
    test::Gate gate;
    ASSERT_TRUE(queue.post("running", [&]() -> ErrorOr<void> {
        gate.hold();
        return {};
    }));
    gate.wait_until_held();
    ASSERT_TRUE(queue.post("queued", [] { return ErrorOr<void>(); }));  // fills the one place

    std::atomic<bool> third_posted{false};
    std::thread producer([&] {
        (void)queue.post("third", [] { return ErrorOr<void>(); });
        third_posted = true;
    });
    // The producer cannot get past a full queue while the worker is held at the gate.
    EXPECT_EQ(queue.stats().pending, 2u);
    EXPECT_FALSE(third_posted);
    gate.open();
    producer.join();
    queue.drain();
    EXPECT_TRUE(third_posted);
    EXPECT_EQ(queue.stats().succeeded, 3u);
}

// Learning far behind (the model busy elsewhere) never holds up a reply, for any number of
// users: every turn ends with Done at once, and each exchange is learned from once the model is
// free. The backlog bound is per user, so that one user's backlog never blocks another's reply.
TEST(CompanionHost, RepliesNeverWaitForLearningThatIsBehind) {
    const fs::path home = fresh_home("learning-behind");
    ManualClock clock;
    GatedLearningBackend backend;
    companion::HostOptions options = options_for(home, clock);
    options.companion.learn = true;
    options.background_capacity = 2;
    companion::CompanionHost host(backend, options);
    constexpr int users = 6;
    std::vector<companion::Conversation> conversations;
    for (int u = 0; u < users; ++u) {
        auto conversation = host.open("user" + std::to_string(u));
        ASSERT_TRUE(conversation);
        conversations.push_back(std::move(*conversation));
    }
    for (int i = 0; i < 2; ++i) {
        for (int u = 0; u < users; ++u) {
            auto turn = conversations[size_t(u)].say("message " + std::to_string(i) + " of user " + std::to_string(u));
            ASSERT_TRUE(turn);
            std::optional<TurnEvent> event;
            do {
                event = turn->next_for(std::chrono::seconds(30));
                ASSERT_TRUE(event) << "user " << u << " waited for learning";
            } while (event->kind != TurnEvent::Kind::Done && event->kind != TurnEvent::Kind::Failed);
            ASSERT_EQ(event->kind, TurnEvent::Kind::Done) << event->text;
        }
    }
    backend.open();
    host.drain();
    for (int i = 0; i < 2; ++i)
        for (int u = 0; u < users; ++u)
            EXPECT_GT(backend.background_prompts_with("message " + std::to_string(i) + " of user " + std::to_string(u)), 0)
                << i << " " << u;
}

// A message left before the first word of the answer is kept, but not learned from on its own.
TEST(CompanionHost, AMessageLeftBeforeTheAnswerIsKeptButNotLearnedFrom) {
    const fs::path home = fresh_home("left-early");
    ManualClock clock;
    GatedLearningBackend backend;
    backend.open();
    companion::HostOptions options = options_for(home, clock);
    options.companion.learn = true;
    companion::CompanionHost host(backend, options);
    auto conversation = host.open("max");
    ASSERT_TRUE(conversation);
    {
        auto turn = conversation->say("say nothing");
        ASSERT_TRUE(turn);
        EXPECT_EQ(turn->next().kind, TurnEvent::Kind::Prepared);
        turn->stop();  // the client hung up; storing follows
        turn->cancel();
        TurnEvent end = turn->next();
        ASSERT_EQ(end.kind, TurnEvent::Kind::Done);
        EXPECT_TRUE(end.interrupted);
    }
    host.drain();
    EXPECT_EQ(backend.background_requests(), 0u);
    std::vector<memory::Turn> stored = test::latest_turns(home, "max");
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].content, "say nothing");
    EXPECT_EQ(stored[1].content, "");
    EXPECT_TRUE(stored[1].interrupted);

    // The next exchange is learned from as usual.
    auto turn = conversation->say("I moved to Lisbon");
    ASSERT_TRUE(turn);
    while (turn->next().kind != TurnEvent::Kind::Done) {
    }
    host.drain();
    EXPECT_GT(backend.background_prompts_with("I moved to Lisbon"), 0);
}

TEST(CompanionHost, ConversationsOpenByIdOnlyForTheirOwner) {
    const fs::path home = fresh_home("by-id");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto alice = host.open("alice", {.start = companion::Start::New});
    ASSERT_TRUE(alice);
    auto turn = alice->say("hello from alice");
    ASSERT_TRUE(turn);
    TurnEvent end;
    test::read_turn(turn.value(), end);
    const int64_t alice_id = alice->id();

    auto again = host.open("alice", {.start = companion::Start::Id, .conversation = alice_id});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id(), alice_id);
    EXPECT_EQ(again->history()->size(), 2u);

    // Bob's store has no conversation with Alice's id, and his first conversation gets the same
    // number: opening it must give his own, empty one.
    auto bob = host.open("bob", {.start = companion::Start::Id, .conversation = alice_id + 1});
    ASSERT_FALSE(bob);
    EXPECT_EQ(bob.error().kind, ErrorKind::NotFound);
    auto bob_new = host.open("bob", {.start = companion::Start::New});
    ASSERT_TRUE(bob_new);
    auto bob_same_number = host.open("bob", {.start = companion::Start::Id, .conversation = bob_new->id()});
    ASSERT_TRUE(bob_same_number);
    EXPECT_TRUE(bob_same_number->history()->empty());
}

TEST(CompanionHost, AClientHistoryContinuesOnlyTheConversationItCameFrom) {
    const fs::path home = fresh_home("continue");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    const auto say = [&](companion::Conversation& conversation, const std::string& text) {
        auto turn = conversation.say(text);
        ASSERT_TRUE(turn);
        TurnEvent end;
        test::read_turn(turn.value(), end);
    };
    auto first = host.open("alice", {.start = companion::Start::New});
    ASSERT_TRUE(first);
    say(first.value(), "one");
    auto second = host.open("alice", {.start = companion::Start::New});
    ASSERT_TRUE(second);
    say(second.value(), "two");

    // The client holds the first conversation's exchange: that one continues, not the newer one.
    const std::vector<llm::Message> held{{"user", "one"}, {"assistant", "echo: one"}};
    auto continued = host.open("alice", {.start = companion::Start::Continue, .history = held});
    ASSERT_TRUE(continued);
    EXPECT_EQ(continued->id(), first->id());

    // An edited history matches nothing: a new conversation, with none of the client's words.
    const std::vector<llm::Message> edited{{"user", "one"}, {"assistant", "something I never said"}};
    auto fresh = host.open("alice", {.start = companion::Start::Continue, .history = edited});
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh->id(), first->id());
    EXPECT_NE(fresh->id(), second->id());
    EXPECT_TRUE(fresh->history()->empty());

    // Bob sending Alice's exact history starts his own conversation.
    auto bob = host.open("bob", {.start = companion::Start::Continue, .history = held});
    ASSERT_TRUE(bob);
    EXPECT_TRUE(bob->history()->empty());
}

TEST(CompanionHost, AUserHandleForgetsAndReadsTheLiveCompanion) {
    const fs::path home = fresh_home("user-handle");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto user = host.user("alice");
    ASSERT_TRUE(user);
    int64_t id = 0;
    user->with([&](companion::Companion& companion) { id = companion.remember("my sister is called Maren").value(); });
    auto hits = memory::MemoryStore::open(home / "users" / "alice")->search("Maren", {});
    ASSERT_TRUE(hits);
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_TRUE(user->forget(id).value());
    EXPECT_FALSE(user->forget(id).value());
    EXPECT_TRUE(memory::MemoryStore::open(home / "users" / "alice")->search("Maren", {})->empty());
    EXPECT_FALSE(host.user("../x"));
}

TEST(CompanionHost, AWatchedTurnWakesItsReaderForEveryEvent) {
    const fs::path home = fresh_home("watch");
    ManualClock clock;
    EchoBackend backend;
    companion::CompanionHost host(backend, options_for(home, clock));
    auto conversation = host.open("alice");
    ASSERT_TRUE(conversation);
    auto turn = conversation->say("are you there");
    ASSERT_TRUE(turn);
    std::atomic<int> wakes{0};
    turn->watch([&] { ++wakes; });
    // The echo reply is complete already: watching calls at once, and every event can then be
    // read without waiting.
    EXPECT_GE(wakes.load(), 1);
    std::string text;
    for (;;) {
        auto event = turn->next_for(std::chrono::milliseconds(0));
        ASSERT_TRUE(event);
        if (event->kind == TurnEvent::Kind::Text)
            text += event->text;
        if (event->kind == TurnEvent::Kind::Done)
            break;
    }
    EXPECT_EQ(text, "echo: are you there");
}
