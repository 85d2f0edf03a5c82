// StopMatcher: stop strings found across piece boundaries, overlapping and competing stop
// strings, whole UTF-8 characters, and an outcome that does not depend on how the text was cut;
// and ChatRequest::validate's limits on stop strings.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "llm/llm.h"
#include "llm/stop-matcher.h"

using os1::ErrorKind;
using os1::llm::ChatRequest;
using os1::llm::StopMatcher;

namespace {

struct Fed {
    std::vector<std::string> pieces;  // what each push and the flush emitted
    std::string text;                 // all of it
    bool stopped = false;
};

Fed feed(const std::vector<std::string>& stops, const std::vector<std::string>& pieces) {
    StopMatcher matcher(stops);
    Fed fed;
    for (const std::string& piece : pieces) {
        StopMatcher::Output output = matcher.push(piece);
        fed.pieces.push_back(output.text);
        fed.text += output.text;
        fed.stopped = fed.stopped || output.stopped;
    }
    std::string tail = matcher.flush();
    fed.pieces.push_back(tail);
    fed.text += tail;
    return fed;
}

std::vector<std::string> bytes_of(const std::string& text) {
    std::vector<std::string> pieces;
    for (char c : text)
        pieces.emplace_back(1, c);
    return pieces;
}

// The reference: the text up to the stop string that completes first, the longest of those
// that complete at the same byte.
std::string expected_text(const std::string& text, const std::vector<std::string>& stops, bool* stopped) {
    for (size_t end = 1; end <= text.size(); ++end) {
        size_t longest = 0;
        for (const std::string& stop : stops) {
            if (stop.size() <= end && text.compare(end - stop.size(), stop.size(), stop) == 0)
                longest = std::max(longest, stop.size());
        }
        if (longest > 0) {
            *stopped = true;
            return text.substr(0, end - longest);
        }
    }
    *stopped = false;
    return text;
}

ChatRequest with_stops(std::vector<std::string> stops) {
    ChatRequest request;
    request.stop = std::move(stops);
    return request;
}

}  // namespace

TEST(StopMatcher, WithoutAStopEverythingIsEmitted) {
    Fed none = feed({}, {"Hello", ", wor", "ld"});
    EXPECT_EQ(none.text, "Hello, world");
    EXPECT_FALSE(none.stopped);
    EXPECT_EQ(none.pieces[0], "Hello");

    Fed unmatched = feed({"xyz"}, {"ab", "cx", "y", "!"});
    EXPECT_EQ(unmatched.text, "abcxy!");
    EXPECT_FALSE(unmatched.stopped);
    // "x" and then "xy" could start "xyz", so they wait for the next piece.
    EXPECT_EQ(unmatched.pieces, (std::vector<std::string>{"ab", "c", "", "xy!", ""}));

    // A tail that might have become a stop string comes out at the end.
    Fed tail = feed({"xyz"}, {"abcxy"});
    EXPECT_EQ(tail.pieces, (std::vector<std::string>{"abc", "xy"}));
}

TEST(StopMatcher, StopAcrossPieceBoundaries) {
    Fed fed = feed({"END"}, {"abcE", "N", "Dxyz", "more"});
    EXPECT_TRUE(fed.stopped);
    EXPECT_EQ(fed.text, "abc");
    EXPECT_EQ(fed.pieces, (std::vector<std::string>{"abc", "", "", "", ""}));

    // A false start is released once it can no longer become the stop string.
    Fed false_start = feed({"END"}, {"aE", "Nx", "yEND"});
    EXPECT_TRUE(false_start.stopped);
    EXPECT_EQ(false_start.pieces, (std::vector<std::string>{"a", "ENx", "y", ""}));
}

TEST(StopMatcher, OverlappingPrefixes) {
    // "aab" inside "aaab": the matcher must fall back to "aa" after the third "a", not restart.
    Fed fed = feed({"aab"}, bytes_of("xaaab!"));
    EXPECT_TRUE(fed.stopped);
    EXPECT_EQ(fed.text, "xa");

    // "ab" and "aab" complete at the same byte: the longer, which starts earlier, is cut.
    for (const auto& stops : {std::vector<std::string>{"ab", "aab"}, std::vector<std::string>{"aab", "ab"}}) {
        EXPECT_EQ(feed(stops, {"xaab"}).text, "x");
        EXPECT_EQ(feed(stops, bytes_of("xaab")).text, "x");
        EXPECT_EQ(feed(stops, {"xab"}).text, "x");
    }

    Fed periodic = feed({"abab"}, bytes_of("abaabababx"));
    EXPECT_TRUE(periodic.stopped);
    EXPECT_EQ(periodic.text, "aba");
}

TEST(StopMatcher, TheFirstStopToCompleteWins) {
    // "lo w" completes before "world" does.
    Fed fed = feed({"world", "lo w"}, {"hello world"});
    EXPECT_TRUE(fed.stopped);
    EXPECT_EQ(fed.text, "hel");

    Fed other = feed({"zz", "d!", "q"}, {"hello wor", "ld", "! and more"});
    EXPECT_TRUE(other.stopped);
    EXPECT_EQ(other.text, "hello worl");
}

TEST(StopMatcher, StopAtTheVeryStart) {
    Fed fed = feed({"Hi"}, {"Hi there"});
    EXPECT_TRUE(fed.stopped);
    EXPECT_EQ(fed.text, "");

    Fed split = feed({"Hi"}, {"H", "i", " there"});
    EXPECT_TRUE(split.stopped);
    EXPECT_EQ(split.text, "");
}

TEST(StopMatcher, NothingAfterAStop) {
    StopMatcher matcher({"."});
    StopMatcher::Output output = matcher.push("One. Two.");
    EXPECT_TRUE(output.stopped);
    EXPECT_EQ(output.text, "One");
    EXPECT_TRUE(matcher.stopped());
    EXPECT_EQ(matcher.push("Three").text, "");
    EXPECT_FALSE(matcher.push("Three").stopped) << "a stop is reported once";
    EXPECT_EQ(matcher.flush(), "");
}

TEST(StopMatcher, MultibyteCharactersAreNeverSplit) {
    const std::string euro = "\xE2\x82\xAC";       // three bytes
    const std::string e_acute = "\xC3\xA9";        // two bytes
    const std::string emoji = "\xF0\x9F\x98\x80";  // four bytes

    // A stop string that begins with a multi-byte character, fed a byte at a time.
    Fed fed = feed({e_acute + "!"}, bytes_of("caf" + e_acute + "!" + " ok"));
    EXPECT_TRUE(fed.stopped);
    EXPECT_EQ(fed.text, "caf");

    // Pieces that end inside a character: only whole characters come out, each time.
    const std::string text = "a" + euro + e_acute + emoji + "b" + euro + "z";
    for (const auto& stops :
         {std::vector<std::string>{}, std::vector<std::string>{euro + "z"}, std::vector<std::string>{emoji + "x"}}) {
        Fed bytes = feed(stops, bytes_of(text));
        for (const std::string& piece : bytes.pieces)
            EXPECT_TRUE(os1::is_valid_utf8(piece)) << "a piece splits a character";
        bool stopped = false;
        EXPECT_EQ(bytes.text, expected_text(text, stops, &stopped));
        EXPECT_EQ(bytes.stopped, stopped);
    }

    // A stop string that shares its first byte with the text's characters.
    Fed shared = feed({euro + "x"}, {euro, euro, "y"});
    EXPECT_FALSE(shared.stopped);
    EXPECT_EQ(shared.text, euro + euro + "y");
}

TEST(StopMatcher, TheOutcomeDoesNotDependOnHowTheTextIsCut) {
    const std::string text =
        "the cat sat on the mat, then the cat sang: la la laa la. " + std::string("\xC3\xA9t\xC3\xA9!");
    const std::vector<std::vector<std::string>> stop_sets = {
        {"cat sang"}, {"la laa"}, {"aa", "a la"}, {"\xC3\xA9!"}, {"mat, then", "the m", "e mat"}, {"absent"}, {"!"}};
    std::mt19937 random(42);
    for (const auto& stops : stop_sets) {
        bool stopped = false;
        const std::string expected = expected_text(text, stops, &stopped);
        for (int trial = 0; trial < 50; ++trial) {
            std::vector<std::string> pieces;
            for (size_t at = 0; at < text.size();) {
                size_t length = 1 + random() % 7;
                pieces.push_back(text.substr(at, length));
                at += length;
            }
            Fed fed = feed(stops, pieces);
            EXPECT_EQ(fed.text, expected) << stops[0] << ", trial " << trial;
            EXPECT_EQ(fed.stopped, stopped) << stops[0];
        }
    }
}

TEST(StopMatcher, HoldsBackNoMoreThanAStopStringCouldNeed) {
    // A long run of near misses: at any time at most the longest stop string, less one byte,
    // waits; the rest has gone out.
    const std::string stop = std::string(63, 'a') + "b";
    StopMatcher matcher({stop, "zzz"});
    size_t fed = 0;
    size_t emitted = 0;
    for (int i = 0; i < 20000; ++i) {
        emitted += matcher.push("aaaaa").text.size();
        fed += 5;
        ASSERT_LE(fed - emitted, stop.size() - 1);
    }
    StopMatcher::Output last = matcher.push("b");
    EXPECT_TRUE(last.stopped);
    EXPECT_EQ(emitted + last.text.size(), fed - 63);
}

TEST(ChatRequestStops, UpToFourShortUtf8StringsAreValid) {
    EXPECT_FALSE(with_stops({}).validate().is_error());
    EXPECT_FALSE(with_stops({"a", std::string(64, 'b'), "\xE2\x82\xAC", "\n\n"}).validate().is_error());
}

TEST(ChatRequestStops, BadStopStringsAreInvalidInputNamingTheProblem) {
    struct Case {
        std::vector<std::string> stops;
        const char* message;
    };
    const std::vector<Case> cases = {
        {{"a", "b", "c", "d", "e"}, "5 stop strings given; use at most 4"},
        {{"ok", ""}, "string 2 is empty"},
        {{std::string(65, 'x')}, "string 1 is 65 bytes long; use at most 64"},
        {{"\xE2\x82"}, "string 1 is not valid UTF-8"},
    };
    for (const Case& c : cases) {
        auto valid = with_stops(c.stops).validate();
        ASSERT_TRUE(valid.is_error()) << c.message;
        EXPECT_EQ(valid.error().kind, ErrorKind::InvalidInput);
        EXPECT_NE(valid.error().message.find(c.message), std::string::npos) << valid.error().message;
    }
    // Sampling values are checked by the same call.
    ChatRequest request;
    request.sampling.top_p = 2;
    auto sampling = request.validate();
    ASSERT_TRUE(sampling.is_error());
    EXPECT_NE(sampling.error().message.find("top_p 2"), std::string::npos) << sampling.error().message;
}
