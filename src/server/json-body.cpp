#include "server/json-body.h"

#include "core/json-nesting.h"

namespace os1::server {

using nlohmann::json;

ErrorOr<json> parse_json_object(std::string_view body) {
    if (body.empty())
        return make_error(ErrorKind::InvalidInput, "the request body is empty; send a JSON object");
    if (!json_nesting_within(body))
        return make_error(ErrorKind::InvalidInput, "the JSON body nests deeper than " +
                                                       std::to_string(k_max_json_nesting) + " levels");
    json value;
    try {
        value = json::parse(body);
    } catch (const json::parse_error& e) {
        // nlohmann names the byte; invalid UTF-8 in a string is one of the reasons.
        return make_error(ErrorKind::InvalidInput, "the body is not valid JSON (at byte " + std::to_string(e.byte) +
                                                       "; it must be UTF-8)");
    } catch (const json::exception&) {
        // out_of_range: a number beyond a double's range, such as 1e999.
        return make_error(ErrorKind::InvalidInput, "the body holds a number too large to represent");
    }
    if (!value.is_object())
        return make_error(ErrorKind::InvalidInput, "the body must be a JSON object");
    return value;
}

namespace {

const json* field(const json& object, std::string_view name) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null())
        return nullptr;
    return &*it;
}

Error wrong_type(std::string_view name, std::string_view expected) {
    return make_error(ErrorKind::InvalidInput, "'" + std::string(name) + "' must be " + std::string(expected));
}

}  // namespace

ErrorOr<std::optional<std::string>> optional_string(const json& object, std::string_view name) {
    const json* value = field(object, name);
    if (!value)
        return std::optional<std::string>();
    if (!value->is_string())
        return wrong_type(name, "a string");
    return std::optional<std::string>(value->get<std::string>());
}

ErrorOr<std::optional<int64_t>> optional_integer(const json& object, std::string_view name) {
    const json* value = field(object, name);
    if (!value)
        return std::optional<int64_t>();
    if (!value->is_number_integer())
        return wrong_type(name, "an integer");
    if (value->is_number_unsigned() && value->get<uint64_t>() > uint64_t(INT64_MAX))
        return wrong_type(name, "an integer in range");
    return std::optional<int64_t>(value->get<int64_t>());
}

ErrorOr<std::optional<double>> optional_number(const json& object, std::string_view name) {
    const json* value = field(object, name);
    if (!value)
        return std::optional<double>();
    if (!value->is_number())
        return wrong_type(name, "a number");
    return std::optional<double>(value->get<double>());
}

ErrorOr<std::optional<bool>> optional_bool(const json& object, std::string_view name) {
    const json* value = field(object, name);
    if (!value)
        return std::optional<bool>();
    if (!value->is_boolean())
        return wrong_type(name, "true or false");
    return std::optional<bool>(value->get<bool>());
}

ErrorOr<std::string> required_string(const json& object, std::string_view name) {
    auto value = OS1_TRY(optional_string(object, name));
    if (!value)
        return make_error(ErrorKind::InvalidInput, "'" + std::string(name) + "' is required");
    return *value;
}

}  // namespace os1::server
