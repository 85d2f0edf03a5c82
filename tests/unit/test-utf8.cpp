#include <gtest/gtest.h>

#include "core/utf8.h"

using namespace os1;

TEST(Utf8, HoldsBackIncompleteCharactersUntilTheyComplete) {
    const std::string euro = "\xE2\x82\xAC";  // three bytes
    Utf8Buffer buffer;
    EXPECT_EQ(buffer.push("a" + euro.substr(0, 1)), "a");
    EXPECT_EQ(buffer.push(euro.substr(1, 1)), "");
    EXPECT_EQ(buffer.push(euro.substr(2, 1) + "b"), euro + "b");
    EXPECT_EQ(buffer.flush(), "");
}

TEST(Utf8, FourByteCharacterSplitAcrossEveryBoundary) {
    const std::string emoji = "\xF0\x9F\x98\x80";
    for (size_t cut = 1; cut < emoji.size(); ++cut) {
        Utf8Buffer buffer;
        std::string out = buffer.push(emoji.substr(0, cut));
        EXPECT_EQ(out, "");
        out += buffer.push(emoji.substr(cut));
        EXPECT_EQ(out, emoji);
    }
}

TEST(Utf8, InvalidBytesAreReplacedNotStalled) {
    Utf8Buffer buffer;
    EXPECT_EQ(buffer.push("x\xFFy"), "x\xEF\xBF\xBDy");
    EXPECT_EQ(buffer.push("\xE2\x82"), "");
    EXPECT_EQ(buffer.flush(), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Utf8, Validation) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));
    EXPECT_FALSE(is_valid_utf8("caf\xC3"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_EQ(complete_utf8_prefix("ab\xE2\x82"), 2u);
}
