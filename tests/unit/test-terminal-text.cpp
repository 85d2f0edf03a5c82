// terminal_text: what the os1 command does to stored text before a terminal sees it.
#include <gtest/gtest.h>

#include <string>

#include "cli/terminal-text.h"

using os1::cli::Newlines;
using os1::cli::terminal_text;

TEST(TerminalText, PlainTextAndValidUtf8StayAsTheyAre) {
    const std::string text = "Juniper \xC3\xA9t\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x8C\xBF\ttab, \xC2\xA0nbsp";
    EXPECT_EQ(terminal_text(text), text);
    EXPECT_EQ(terminal_text(text, Newlines::Keep), text);
    EXPECT_EQ(terminal_text(""), "");
}

TEST(TerminalText, ControlCharactersBecomeVisibleEscapes) {
    // Retitling the window, clearing the screen, a bell, a backspace over what was shown, DEL.
    EXPECT_EQ(terminal_text("\x1b]0;pwned\x07name"), "\\x1b]0;pwned\\x07name");
    EXPECT_EQ(terminal_text("a\x1b[2Jb"), "a\\x1b[2Jb");
    EXPECT_EQ(terminal_text(std::string("nul\0byte", 8)), "nul\\x00byte");
    EXPECT_EQ(terminal_text("safe\x08\x08\x08\x08" "evil\x7f"), "safe\\x08\\x08\\x08\\x08evil\\x7f");
    // C1 controls, U+0080 to U+009F: CSI (U+009B) acts as ESC [ on many terminals.
    EXPECT_EQ(terminal_text("\xC2\x9B" "2J\xC2\x80\xC2\x9F"), "\\u009b2J\\u0080\\u009f");
}

TEST(TerminalText, BytesThatAreNotUtf8AreEscapedOneByOne) {
    // A lone C1 byte (read as CSI by terminals in an 8-bit mode), a truncated sequence, an
    // overlong encoding and a surrogate.
    EXPECT_EQ(terminal_text("\x9B" "2J"), "\\x9b2J");
    EXPECT_EQ(terminal_text("ab\xE2\x80"), "ab\\xe2\\x80");
    EXPECT_EQ(terminal_text("\xC0\xAF"), "\\xc0\\xaf");
    EXPECT_EQ(terminal_text("\xED\xA0\x80"), "\\xed\\xa0\\x80");
}

TEST(TerminalText, LineBreaksStayOnlyInMultiLineText) {
    EXPECT_EQ(terminal_text("one\ntwo\r\nthree", Newlines::Keep), "one\ntwo\r\nthree");
    EXPECT_EQ(terminal_text("one\ntwo", Newlines::Escape), "one\\ntwo");
    // A carriage return alone would overwrite the line it ends.
    EXPECT_EQ(terminal_text("shown\rhidden", Newlines::Keep), "shown\\x0dhidden");
    EXPECT_EQ(terminal_text("line\r\n", Newlines::Escape), "line\\x0d\\n");
}

// A streamed reply arrives in pieces: a character or a CRLF split between two pieces is shown
// as it would be whole, and a lone CR is still escaped.
TEST(TerminalText, AStreamShowsWhatTheWholeTextWouldShow) {
    os1::cli::TerminalTextStream stream;
    std::string shown;
    for (const char* piece : {"caf", "\xC3", "\xA9 \xC2", "\x9B" "2J", " one\r", "\ntwo\r", "x\x1b", "[0m\r"})
        shown += stream.push(piece);
    shown += stream.flush();
    EXPECT_EQ(shown, "caf\xC3\xA9 \\u009b2J one\r\ntwo\\x0dx\\x1b[0m\\x0d");
    EXPECT_EQ(shown, terminal_text("caf\xC3\xA9 \xC2\x9B" "2J one\r\ntwo\rx\x1b[0m\r", Newlines::Keep));

    // A character left incomplete at the end is not UTF-8.
    os1::cli::TerminalTextStream cut;
    EXPECT_EQ(cut.push("ok\xE2\x80"), "ok");
    EXPECT_NE(cut.flush().find("\xEF\xBF\xBD"), std::string::npos) << "Utf8Buffer replaces it with U+FFFD";
}
