// libcurl plumbing shared by the hub API client and the downloader.
#include <mutex>

#include "models/detail.h"
#include "models/models.h"

namespace os1::models::detail {

namespace {

std::once_flag g_curl_once;
CURLcode g_curl_init = CURLE_OK;

size_t append_body(char* data, size_t size, size_t count, void* user) {
    auto* state = static_cast<std::pair<std::string*, size_t>*>(user);
    size_t bytes = size * count;
    if (state->first->size() + bytes > state->second)
        return 0;  // too large: abort with CURLE_WRITE_ERROR
    try {
        state->first->append(data, bytes);
    } catch (...) {
        return 0;
    }
    return bytes;
}

}  // namespace

ErrorOr<CurlPtr> make_curl(const std::string& url, char* error_buffer) {
    std::call_once(g_curl_once, [] { g_curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (g_curl_init != CURLE_OK)
        return make_error(std::string("libcurl: cannot initialise: ") + curl_easy_strerror(g_curl_init));
    CurlPtr curl(curl_easy_init());
    if (!curl)
        return make_error("libcurl: cannot create a transfer handle (out of memory?)");
    error_buffer[0] = '\0';
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "os1/0.1.0");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A transfer slower than 1 byte/s for 60 s is a stalled connection.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    return curl;
}

CurlSlistPtr make_header_list(const std::vector<std::string>& headers) {
    CurlSlistPtr list;
    for (const auto& header : headers) {
        curl_slist* grown = curl_slist_append(list.get(), header.c_str());
        if (!grown)
            break;
        (void)list.release();
        list.reset(grown);
    }
    return list;
}

bool is_network_failure(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SSL_CONNECT_ERROR:
            return true;
        default:
            return is_interrupted_transfer(code);
    }
}

bool is_interrupted_transfer(CURLcode code) {
    switch (code) {
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return true;
        default:
            return false;
    }
}

std::string url_host(const std::string& url) {
    size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (size_t at = host.rfind('@'); at != std::string::npos)
        host.erase(0, at + 1);  // never print credentials
    return host.empty() ? url : host;
}

Error network_error(const std::string& url, CURLcode code, const char* error_buffer) {
    std::string detail = error_buffer && *error_buffer ? error_buffer : curl_easy_strerror(code);
    std::string what = is_interrupted_transfer(code) || code == CURLE_OPERATION_TIMEDOUT ? "the connection was lost"
                                                                                         : "cannot reach the server";
    return make_error(url_host(url) + ": " + what + " (" + detail + "); " + k_offline_hint);
}

Error http_status_error(const std::string& url, long status) {
    std::string code = " (HTTP " + std::to_string(status) + ")";
    if (status == 404)
        return make_error(url + ": not found" + code +
                          "; check the model name or URL (os1 pull --list shows the catalog)");
    if (status == 401 || status == 403)
        return make_error(url + ": access denied" + code +
                          "; the repository may be gated or private: accept its terms on the hub and set HF_TOKEN");
    if (status == 429)
        return make_error(url + ": too many requests" + code + "; wait a few minutes and try again");
    if (status >= 500)
        return make_error(url + ": the server failed" + code + "; try again later");
    return make_error(url + ": unexpected answer" + code + "; check the URL");
}

ErrorOr<HttpResponse> http_get(const std::string& url, const std::vector<std::string>& headers, size_t max_bytes) {
    char error_buffer[CURL_ERROR_SIZE];
    CurlPtr curl = OS1_TRY(make_curl(url, error_buffer));
    CurlSlistPtr header_list = make_header_list(headers);
    HttpResponse response;
    std::pair<std::string*, size_t> sink{&response.body, max_bytes};
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 120L);
    CURLcode code = curl_easy_perform(curl.get());
    if (code == CURLE_WRITE_ERROR)
        return make_error(url + ": the answer is larger than " + format_bytes(max_bytes) + "; check the URL");
    if (is_network_failure(code))
        return network_error(url, code, error_buffer);
    if (code != CURLE_OK)
        return make_error(url + ": " + (error_buffer[0] ? error_buffer : curl_easy_strerror(code)));
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

}  // namespace os1::models::detail
