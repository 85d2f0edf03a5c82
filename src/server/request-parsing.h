// The edge of the HTTP transport: how the bytes of a request are read (Beast's parser, with the
// server's limits) and turned into a Request in native types. Internal to the server module;
// http-server.cpp and the fuzz target of the HTTP edge share it. Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "server/http-server.h"
#include "server/http-types.h"

namespace os1::server {

using RawRequest = boost::beast::http::request<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets the body and header limits of `options` on a fresh parser.
void limit_request_parser(RequestParser& parser, const HttpOptions& options);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`); nullopt for a broken escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// The request in native types (path and query percent-decoded, header names in lowercase, the
// forwarded address and scheme believed from a proxy on loopback only); nullopt when its target
// cannot be decoded or is no absolute path.
std::optional<Request> to_request(RawRequest&& raw, const std::string& peer);

}  // namespace os1::server
