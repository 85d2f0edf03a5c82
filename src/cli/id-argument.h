// Row ids typed on the command line (memory and token ids). CLI11's own conversion would take
// "+5", " 5" and "0x10", read "010" as octal, and clamp 18446744073709551615 to the largest
// id, so a typo could act on another row; these are read strictly instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace os1::cli {

// `text` as an id: decimal digits only (no sign, space or prefix), at most INT64_MAX; nullopt
// otherwise.
std::optional<int64_t> parse_id(std::string_view text);

// For an id option's transform(): refuses what parse_id refuses, with a message that names the
// value and where the ids are listed (`listed_by`, such as "os1 memory list"), and rewrites
// the accepted text without leading zeros so that CLI11 reads it as decimal.
CLI::Validator id_argument(const std::string& listed_by);

}  // namespace os1::cli
