// Errors as HTTP answers, in one table: every typed error kind has one status, and every error
// body has OpenAI's shape {"error":{"message","type","code"}}, so that the official clients
// show the message. Messages are for the user; no body carries internals.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"
#include "server/http-types.h"

namespace os1::server {

int status_for(ErrorKind kind);

// An error response: `type` and `code` as OpenAI names them ("invalid_request_error", ...).
Response error_response(int status, std::string_view message, std::string_view code = {});
// A 429 with Retry-After: "<what>; try again in N seconds".
Response too_many_requests(std::chrono::seconds retry_after, std::string_view what);
// The response for a library error: its status from the table; Internal errors are logged by
// the caller and answered with a generic message.
Response error_response(const Error& error);

}  // namespace os1::server
