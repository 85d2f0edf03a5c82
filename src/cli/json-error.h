// The error object that every command prints on stdout under --json, {"error": "..."}, beside
// its message on stderr.
#pragma once

#include <string_view>

namespace os1::cli {

// Prints {"error": message} and a newline. A message may quote a file name or an argument that
// is not UTF-8: such bytes become U+FFFD, since JSON text must be UTF-8.
void print_json_error(std::string_view message);

}  // namespace os1::cli
