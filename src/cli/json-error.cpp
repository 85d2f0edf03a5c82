#include "cli/json-error.h"

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace os1::cli {

void print_json_error(std::string_view message) {
    const nlohmann::ordered_json error = {{"error", std::string(message)}};
    std::printf("%s\n", error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace os1::cli
