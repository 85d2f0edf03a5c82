#include "server/http-errors.h"

#include <nlohmann/json.hpp>

namespace os1::server {

int status_for(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::NotFound:
        return 404;
    case ErrorKind::InvalidInput:
        return 400;
    case ErrorKind::Conflict:
        return 409;
    case ErrorKind::Unavailable:
        return 503;
    case ErrorKind::Cancelled:
        return 499;
    case ErrorKind::DiskFull:
        return 507;
    case ErrorKind::Corrupt:
    case ErrorKind::PermissionDenied:  // the server's own data folder, not the client's doing
    case ErrorKind::Internal:
        return 500;
    }
    return 500;
}

namespace {

std::string_view type_for(int status) {
    switch (status) {
    case 400:
    case 404:
    case 405:
    case 409:
    case 413:
    case 415:
    case 431:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 403:
        return "permission_error";
    case 429:
        return "rate_limit_error";
    default:
        return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

std::string_view default_code(int status) {
    switch (status) {
    case 400:
        return "invalid_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 409:
        return "conflict";
    case 413:
        return "request_too_large";
    case 415:
        return "unsupported_media_type";
    case 429:
        return "rate_limit_exceeded";
    case 503:
        return "unavailable";
    case 507:
        return "disk_full";
    default:
        return status >= 500 ? "server_error" : "invalid_request";
    }
}

}  // namespace

Response error_response(int status, std::string_view message, std::string_view code) {
    const nlohmann::json body = {{"error",
                                  {{"message", std::string(message)},
                                   {"type", std::string(type_for(status))},
                                   {"code", std::string(code.empty() ? default_code(status) : code)}}}};
    return json_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response too_many_requests(std::chrono::seconds retry_after, std::string_view what) {
    Response response = error_response(429, std::string(what) + "; try again in " +
                                                std::to_string(retry_after.count()) + " seconds");
    response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return response;
}

Response error_response(const Error& error) {
    const int status = status_for(error.kind);
    if (status == 500)
        return error_response(500, "the server could not complete the request; its log says why");
    return error_response(status, error.message);
}

}  // namespace os1::server
