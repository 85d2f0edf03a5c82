// The HTTP edge: raw bytes from a client, read as the server reads a connection (Beast's
// request parser with the server's limits, one request after another while the client keeps the
// connection alive), each request then turned into a server::Request as the server does. Nothing
// crashes or hangs, and every Request has an absolute path without NUL.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "check.h"
#include "server/request-parsing.h"

using namespace os1;
namespace http = boost::beast::http;

namespace {

// The most requests one input may hold, to keep each run short.
constexpr int k_max_requests = 8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    const server::HttpOptions options;
    for (int count = 0; count < k_max_requests; ++count) {
        server::RequestParser parser;
        server::limit_request_parser(parser, options);
        parser.eager(true);
        boost::beast::error_code ec;
        while (!parser.is_done()) {
            const size_t used = rest.empty() ? 0 : parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
            rest.remove_prefix(used);
            if (ec && ec != http::error::need_more)
                break;
            if (used == 0) {
                // Every byte there is has been offered: the client closed its side.
                ec = {};
                parser.put_eof(ec);
                break;
            }
            ec = {};
        }
        if (ec || !parser.is_done())
            return 0;
        server::RawRequest raw = parser.release();
        const bool keep_alive = raw.keep_alive();
        // A loopback peer, so that the forwarded headers of a proxy are read too.
        auto request = server::to_request(std::move(raw), "127.0.0.1");
        if (!request)
            return 0;
        OS1_FUZZ_CHECK(!request->path.empty() && request->path[0] == '/');
        OS1_FUZZ_CHECK(request->path.find('\0') == std::string::npos);
        OS1_FUZZ_CHECK(request->body.size() <= options.max_body_bytes);
        for (const auto& [name, value] : request->headers) {
            for (char c : name)
                OS1_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
        }
        (void)request->header("authorization");
        (void)request->param("q");
        if (!keep_alive || rest.empty())
            return 0;
    }
    return 0;
}
