#include <gtest/gtest.h>

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

TEST(Reply, CancelIsVisibleToTheProducer) {
    Reply reply;
    EXPECT_FALSE(reply.cancelled());
    reply.cancel();
    EXPECT_TRUE(reply.cancelled());
}
