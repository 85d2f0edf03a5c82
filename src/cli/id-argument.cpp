#include "cli/id-argument.h"

#include <charconv>

namespace os1::cli {

std::optional<int64_t> parse_id(std::string_view text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    int64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;  // beyond INT64_MAX
    return id;
}

CLI::Validator id_argument(const std::string& listed_by) {
    return CLI::Validator(
        [listed_by](std::string& text) -> std::string {
            const std::optional<int64_t> id = parse_id(text);
            if (!id)
                return "\"" + text + "\" is not an id; an id is a whole number from 0 to " +
                       std::to_string(INT64_MAX) + ", as " + listed_by + " shows them";
            text = std::to_string(*id);
            return {};
        },
        "");
}

}  // namespace os1::cli
