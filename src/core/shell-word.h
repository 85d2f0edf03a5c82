// Text quoted as one word for /bin/sh, for commands that os1 runs or prints for the user to run.
#pragma once

#include <string>

namespace os1 {

// `text` as one shell word: unchanged when it holds only characters the shell leaves alone
// (letters, digits and /._-+:@), else in single quotes with each ' written as '\''.
std::string shell_quoted(const std::string& text);

}  // namespace os1
