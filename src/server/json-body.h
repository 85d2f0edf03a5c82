// Request bodies as JSON, parsed at the edge with limits: nesting (core/json-nesting.h), valid
// UTF-8, and the shape (an object). Field readers name the field in every error, so that a
// client learns exactly what to fix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace os1::server {

// The body as a JSON object; InvalidInput with a clear message for anything else.
ErrorOr<nlohmann::json> parse_json_object(std::string_view body);

// Optional fields: nullopt when absent or null; InvalidInput when of the wrong type.
ErrorOr<std::optional<std::string>> optional_string(const nlohmann::json& object, std::string_view name);
ErrorOr<std::optional<int64_t>> optional_integer(const nlohmann::json& object, std::string_view name);
ErrorOr<std::optional<double>> optional_number(const nlohmann::json& object, std::string_view name);
ErrorOr<std::optional<bool>> optional_bool(const nlohmann::json& object, std::string_view name);
// A required string field.
ErrorOr<std::string> required_string(const nlohmann::json& object, std::string_view name);

// JSON text for a response; invalid UTF-8 in stored text is replaced, never a failure.
template <typename Json>
std::string dump(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace os1::server
