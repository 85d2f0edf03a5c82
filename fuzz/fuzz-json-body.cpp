// Request bodies as JSON: server::parse_json_object and the field readers, asked for every
// field of the object under each type, then the object written back as a response would be.
// Every failure is an InvalidInput error (a 400); nothing crashes, hangs or throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "server/json-body.h"

using namespace os1;

namespace {

template <typename T>
void check_read(const ErrorOr<T>& read) {
    if (read.is_error()) {
        OS1_FUZZ_CHECK(read.error().kind == ErrorKind::InvalidInput);
        OS1_FUZZ_CHECK(!read.error().message.empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto object = server::parse_json_object(body);
    check_read(object);
    if (object.is_error())
        return 0;
    OS1_FUZZ_CHECK(object->is_object());
    for (const auto& [name, value] : object->items()) {
        check_read(server::optional_string(*object, name));
        check_read(server::optional_integer(*object, name));
        check_read(server::optional_number(*object, name));
        check_read(server::optional_bool(*object, name));
        check_read(server::required_string(*object, name));
        // Nested objects are read by the same functions (stream_options, response_format).
        if (value.is_object()) {
            for (const auto& [inner, ignored] : value.items()) {
                check_read(server::optional_integer(value, inner));
                check_read(server::optional_string(value, inner));
            }
        }
    }
    check_read(server::required_string(*object, "missing"));
    const std::string written = server::dump(*object);
    OS1_FUZZ_CHECK(!written.empty());
    // What the server writes, it can read back.
    OS1_FUZZ_CHECK(server::parse_json_object(written));
    return 0;
}
