// Standard base64 (RFC 4648, with padding). Internal to the persona module.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace os1::persona {

std::string base64_encode(std::string_view bytes);
// Strict decoding; ASCII whitespace is skipped. Errors name the offending offset.
ErrorOr<std::string> base64_decode(std::string_view text);

}  // namespace os1::persona
