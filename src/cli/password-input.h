// New passwords for `os1 user add` and `os1 user passwd`: piped in on stdin by scripts, or typed
// twice on the terminal without echo.
#pragma once

#include <string>

#include "core/error.h"

namespace os1::cli {

// True when stdin is a terminal, where a password may be typed.
bool stdin_is_terminal();

// The first line of stdin without its line ending ("\n", or "\r\n" from tools that write
// those). Keeps no more of it than the longest password, so piping a large file does not fill
// memory; a longer line, or no line at all, is an error.
ErrorOr<std::string> read_password_line();

// Asks on stderr for a new password for `user`, with echo off, then asks again. Fails when the
// first one is not a valid password, when the two differ, or at end of input. Stdin must be a
// terminal (stdin_is_terminal()).
ErrorOr<std::string> prompt_new_password(const std::string& user);

}  // namespace os1::cli
