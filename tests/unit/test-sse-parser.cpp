#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm/sse-parser.h"

using namespace os1::llm;

namespace {

// Feeds `stream` in pieces of `piece` bytes and returns every event, finish() included.
std::vector<SseEvent> parse_in_pieces(const std::string& stream, size_t piece) {
    SseParser parser;
    std::vector<SseEvent> events;
    for (size_t pos = 0; pos < stream.size(); pos += piece) {
        auto got = parser.feed(std::string_view(stream).substr(pos, piece));
        EXPECT_TRUE(got) << (got ? "" : got.error().message);
        if (!got)
            return events;
        for (auto& event : got.value())
            events.push_back(std::move(event));
    }
    for (auto& event : parser.finish())
        events.push_back(std::move(event));
    return events;
}

std::vector<std::string> data_of(const std::vector<SseEvent>& events) {
    std::vector<std::string> out;
    for (const auto& event : events)
        out.push_back(event.data);
    return out;
}

}  // namespace

TEST(SseParser, ParsesOpenAIStyleStreamWithDone) {
    std::string stream = "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n";
    auto events = parse_in_pieces(stream, stream.size());
    EXPECT_EQ(data_of(events), (std::vector<std::string>{"{\"a\":1}", "{\"a\":2}", "[DONE]"}));
    EXPECT_EQ(events[0].type, "message");
}

TEST(SseParser, AnyChunkBoundaryGivesTheSameEvents) {
    std::string stream =
        "data: {\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9llo\"}}]}\r\n\r\n"
        ": ping\n\n"
        "event: update\ndata: line one\ndata: line two\n\n"
        "data: [DONE]\r\n\r\n";
    auto whole = parse_in_pieces(stream, stream.size());
    ASSERT_EQ(whole.size(), 3u);
    for (size_t piece = 1; piece <= 7; ++piece) {
        auto events = parse_in_pieces(stream, piece);
        ASSERT_EQ(events.size(), whole.size()) << "piece size " << piece;
        for (size_t i = 0; i < events.size(); ++i) {
            EXPECT_EQ(events[i].data, whole[i].data) << "piece size " << piece;
            EXPECT_EQ(events[i].type, whole[i].type) << "piece size " << piece;
        }
    }
}

TEST(SseParser, CrlfSplitBetweenFeedsIsOneLineEnd) {
    SseParser parser;
    auto first = parser.feed("data: x\r");
    ASSERT_TRUE(first);
    EXPECT_TRUE(first.value().empty());
    auto second = parser.feed("\n\r");
    ASSERT_TRUE(second);
    ASSERT_EQ(second.value().size(), 1u);
    EXPECT_EQ(second.value()[0].data, "x");
    auto third = parser.feed("\ndata: y\n\n");
    ASSERT_TRUE(third);
    ASSERT_EQ(third.value().size(), 1u);
    EXPECT_EQ(third.value()[0].data, "y");
}

TEST(SseParser, BareCarriageReturnEndsLines) {
    auto events = parse_in_pieces("data: a\rdata: b\r\rdata: c\r\r", 3);
    EXPECT_EQ(data_of(events), (std::vector<std::string>{"a\nb", "c"}));
}

TEST(SseParser, CommentsAreIgnoredAndDoNotDispatch) {
    auto events = parse_in_pieces(":\n\n: keep-alive\ndata: a\n: in the middle\ndata: b\n\n:\n\n", 4);
    EXPECT_EQ(data_of(events), (std::vector<std::string>{"a\nb"}));
}

TEST(SseParser, MultiLineDataJoinsWithNewline) {
    auto events = parse_in_pieces("data: first\ndata:second\ndata:  third\ndata\n\n", 5);
    ASSERT_EQ(events.size(), 1u);
    // One space after the colon is dropped, a second one is kept; "data" alone adds an empty line.
    EXPECT_EQ(events[0].data, "first\nsecond\n third\n");
}

TEST(SseParser, EventTypeAndIdAreReported) {
    auto events = parse_in_pieces("id: 7\nevent: error\ndata: {}\n\ndata: next\n\n", 2);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, "error");
    EXPECT_EQ(events[0].id, "7");
    EXPECT_EQ(events[1].type, "message");
    EXPECT_EQ(events[1].id, "7");  // the last event id persists across events
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
    auto events = parse_in_pieces("event: ping\n\nretry: 1000\n\nunknown: x\n\n", 3);
    EXPECT_TRUE(events.empty());
}

TEST(SseParser, EmptyDataLineGivesEmptyEvent) {
    auto events = parse_in_pieces("data:\n\n", 1);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "");
}

TEST(SseParser, LeadingByteOrderMarkIsSkippedEvenWhenSplit) {
    auto events = parse_in_pieces("\xEF\xBB\xBF" "data: x\n\n", 1);
    EXPECT_EQ(data_of(events), (std::vector<std::string>{"x"}));
}

TEST(SseParser, FinishReturnsAnEventCutOffByEndOfStream) {
    SseParser parser;
    auto got = parser.feed("data: complete\n\ndata: [DONE]");
    ASSERT_TRUE(got);
    EXPECT_EQ(data_of(got.value()), (std::vector<std::string>{"complete"}));
    EXPECT_EQ(data_of(parser.finish()), (std::vector<std::string>{"[DONE]"}));
}

TEST(SseParser, OversizedEventIsAnError) {
    SseParser parser(16);
    auto small = parser.feed("data: short\n\n");
    ASSERT_TRUE(small);
    auto big = parser.feed("data: " + std::string(64, 'x'));
    ASSERT_TRUE(big.is_error());
    EXPECT_NE(big.error().message.find("larger than 16 bytes"), std::string::npos);
    EXPECT_TRUE(parser.feed("\n\n").is_error());
}

TEST(SseParser, ManyDataLinesOverTheLimitAreAnError) {
    SseParser parser(16);
    auto got = parser.feed("data: 0123456789\ndata: 0123456789\n");
    EXPECT_TRUE(got.is_error());
}
