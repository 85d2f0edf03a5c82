// A quoted word goes through a real /bin/sh unchanged, whatever it holds.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/shell-word.h"

namespace {

// What /bin/sh makes of `word` as the argument of printf.
std::string through_the_shell(const std::string& word) {
    const std::string command = "printf '%s' " + word;
    FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string out;
    char buffer[256];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
    ::pclose(pipe);
    return out;
}

}  // namespace

TEST(ShellWord, PlainPathsStayReadable) {
    EXPECT_EQ(os1::shell_quoted("/home/ann/.local/share/os1"), "/home/ann/.local/share/os1");
    EXPECT_EQ(os1::shell_quoted("user@host:1"), "user@host:1");
}

TEST(ShellWord, AnyTextIsOneWordThatTheShellGivesBackUnchanged) {
    for (const std::string text : {"", "it's", "a b", "$(touch x)", "`id`", "a;b|c&d", "''", "x'\"'y", "*",
                                   "line\nbreak", "~ann", "back\\slash", "!event"}) {
        EXPECT_EQ(through_the_shell(os1::shell_quoted(text)), text) << text;
    }
}
