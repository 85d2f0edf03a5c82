#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "llm/llm.h"

using namespace os1::llm;

TEST(Reply, DeliversTextInOrderThenDoneRepeatedly) {
    Reply reply;
    reply.push_text("Hel");
    reply.push_text("lo");
    ReplyStats stats;
    stats.generated_tokens = 2;
    reply.finish(stats);

    ReplyStats got;
    auto text = reply.collect(&got);
    ASSERT_TRUE(text);
    EXPECT_EQ(text.value(), "Hello");
    EXPECT_EQ(got.generated_tokens, 2);
    EXPECT_EQ(reply.next().kind, ReplyEvent::Kind::Done);
    EXPECT_EQ(reply.next().kind, ReplyEvent::Kind::Done);
}

TEST(Reply, FailureCarriesMessageAndErrorStopReason) {
    Reply reply;
    reply.fail("model crashed");
    ReplyStats stats;
    auto text = reply.collect(&stats);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message, "model crashed");
    EXPECT_EQ(stats.stop_reason, StopReason::Error);
}

TEST(Reply, NextForTimesOutWhenNothingArrives) {
    Reply reply;
    EXPECT_FALSE(reply.next_for(std::chrono::milliseconds(10)).has_value());
}

// The wait's limit lies far beyond ctest's timeout: the event must wake the reader, however
// slowly the producer thread gets to run.
TEST(Reply, NextForWakesWhenAnotherThreadPushes) {
    Reply reply;
    std::thread producer([&] { reply.push_text("x"); });
    auto event = reply.next_for(std::chrono::hours(24));
    producer.join();
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->text, "x");
}

// A producer thread streams until it sees the cancel that a third thread sends once the reader
// has seen text, as a backend and a front end do.
TEST(Reply, StreamsAndCancelsAcrossThreads) {
    Reply reply;
    std::atomic<bool> seen_text{false};
    std::atomic<int> read{0};
    std::thread producer([&] {
        int pieces = 0;
        while (!reply.cancelled()) {
            // Stays at most 64 pieces ahead of the reader, whichever thread runs first.
            if (pieces - read.load() >= 64) {
                std::this_thread::yield();
                continue;
            }
            reply.push_text(std::to_string(pieces++ % 10));
        }
        ReplyStats stats;
        stats.generated_tokens = pieces;
        stats.stop_reason = StopReason::Cancelled;
        reply.finish(stats);
    });
    std::thread canceller([&] {
        seen_text.wait(false);
        reply.cancel();
    });
    std::string text;
    ReplyEvent event = reply.next();
    for (; event.kind == ReplyEvent::Kind::Text; event = reply.next()) {
        text += event.text;
        ++read;
        if (!seen_text.exchange(true))
            seen_text.notify_one();
    }
    producer.join();
    canceller.join();
    ASSERT_EQ(event.kind, ReplyEvent::Kind::Done);
    EXPECT_EQ(event.stats.stop_reason, StopReason::Cancelled);
    EXPECT_EQ(int(text.size()), event.stats.generated_tokens);
    for (size_t i = 0; i < text.size(); ++i)
        ASSERT_EQ(text[i], char('0' + i % 10)) << "pieces arrive in order, none lost";
    EXPECT_EQ(reply.next().kind, ReplyEvent::Kind::Done);
}

TEST(Reply, CancelIsVisibleToTheProducer) {
    Reply reply;
    EXPECT_FALSE(reply.cancelled());
    reply.cancel();
    EXPECT_TRUE(reply.cancelled());
}
