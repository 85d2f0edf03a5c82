// Helpers shared by the files of the models module; not part of its public surface.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "core/error.h"
#include "core/handles.h"

namespace os1::models::detail {

// http.cpp

// A curl handle with os1's defaults: user agent, redirects, http(s) only, connect and stall
// timeouts, no signals. `error_buffer` (CURL_ERROR_SIZE bytes) receives curl's detail.
ErrorOr<CurlPtr> make_curl(const std::string& url, char* error_buffer);
CurlSlistPtr make_header_list(const std::vector<std::string>& headers);

// True for failures that mean the network or the server went away (as opposed to a bad URL
// or a local error).
bool is_network_failure(CURLcode code);
// True when the connection was made but the transfer broke off (worth resuming at once).
bool is_interrupted_transfer(CURLcode code);
// "<host>: cannot reach the server (<curl detail>); check the network, or ..."
Error network_error(const std::string& url, CURLcode code, const char* error_buffer);
// "<url>: <what the status means> (HTTP <status>); <what to do>"
Error http_status_error(const std::string& url, long status);
// The "host[:port]" part of a URL, for messages; the URL itself when it has none.
std::string url_host(const std::string& url);

struct HttpResponse {
    long status = 0;
    std::string body;
};
// GETs a small document (at most `max_bytes`) into memory.
ErrorOr<HttpResponse> http_get(const std::string& url, const std::vector<std::string>& headers,
                               size_t max_bytes = 64u << 20);

// hugging-face.cpp

// "Authorization: Bearer $HF_TOKEN" when HF_TOKEN is set; empty otherwise.
std::vector<std::string> hf_auth_headers();

// installed.cpp

// True when `path` is a regular file that starts with the GGUF magic.
bool is_gguf_file(const std::filesystem::path& path);
uint64_t file_size_or_zero(const std::filesystem::path& path);

}  // namespace os1::models::detail
