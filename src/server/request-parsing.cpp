#include "server/request-parsing.h"

#include <cctype>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace os1::server {

namespace http = boost::beast::http;

namespace {

Method method_of(http::verb verb) {
    switch (verb) {
    case http::verb::get:
        return Method::Get;
    case http::verb::head:
        return Method::Head;
    case http::verb::post:
        return Method::Post;
    case http::verb::put:
        return Method::Put;
    case http::verb::patch:
        return Method::Patch;
    case http::verb::delete_:
        return Method::Delete;
    case http::verb::options:
        return Method::Options;
    default:
        return Method::Other;
    }
}

bool is_loopback(const std::string& address) {
    boost::system::error_code ec;
    const auto parsed = boost::asio::ip::make_address(address, ec);
    return !ec && parsed.is_loopback();
}

}  // namespace

void limit_request_parser(RequestParser& parser, const HttpOptions& options) {
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(uint32_t(options.max_header_bytes));
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            const int high = hex(text[i + 1]);
            const int low = hex(text[i + 2]);
            if (high < 0 || low < 0)
                return std::nullopt;
            out.push_back(char(high * 16 + low));
            i += 2;
        } else if (plus_is_space && text[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::optional<Request> to_request(RawRequest&& raw, const std::string& peer) {
    Request request;
    request.method = method_of(raw.method());
    const std::string_view target(raw.target().data(), raw.target().size());
    const size_t question = target.find('?');
    auto path = percent_decode(target.substr(0, question), false);
    if (!path || path->empty() || (*path)[0] != '/' || path->find('\0') != std::string::npos)
        return std::nullopt;
    request.path = std::move(*path);
    if (question != std::string_view::npos) {
        std::string_view query = target.substr(question + 1);
        while (!query.empty()) {
            const size_t amp = query.find('&');
            const std::string_view pair = query.substr(0, amp);
            const size_t equals = pair.find('=');
            auto key = percent_decode(pair.substr(0, equals), true);
            auto value = percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1), true);
            if (!key || !value)
                return std::nullopt;
            if (!key->empty())
                request.query.emplace(std::move(*key), std::move(*value));
            if (amp == std::string_view::npos)
                break;
            query.remove_prefix(amp + 1);
        }
    }
    for (const auto& field : raw) {
        std::string name(field.name_string());
        for (char& c : name)
            c = char(std::tolower(static_cast<unsigned char>(c)));
        request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.peer = peer;
    request.websocket = boost::beast::websocket::is_upgrade(raw);
    // A reverse proxy on this machine says how the client reached it; nobody else is believed.
    if (is_loopback(peer)) {
        if (request.header("x-forwarded-proto") == "https")
            request.tls = true;
        std::string_view forwarded = request.header("x-forwarded-for");
        if (!forwarded.empty()) {
            forwarded = forwarded.substr(0, forwarded.find(','));
            while (!forwarded.empty() && forwarded.front() == ' ')
                forwarded.remove_prefix(1);
            while (!forwarded.empty() && forwarded.back() == ' ')
                forwarded.remove_suffix(1);
            if (!forwarded.empty())
                request.peer = std::string(forwarded);
        }
    }
    request.body = std::move(raw.body());
    return request;
}

}  // namespace os1::server
