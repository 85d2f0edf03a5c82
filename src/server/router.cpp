#include "server/router.h"

#include <charconv>

#include "server/http-errors.h"

namespace os1::server {

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    size_t start = 1;
    while (start <= path.size()) {
        const size_t slash = path.find('/', start);
        const size_t end = slash == std::string_view::npos ? path.size() : slash;
        segments.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::vector<std::string>& params) {
    if (pattern.size() != path.size())
        return false;
    params.clear();
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == "{}") {
            if (path[i].empty())
                return false;
            params.push_back(path[i]);
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

void Router::add(Method method, std::string pattern, Access access, RouteHandler handler) {
    Route route{method, split_path(pattern), true, access, std::move(handler)};
    for (const std::string& segment : route.segments)
        route.literal = route.literal && segment != "{}";
    m_routes.push_back(std::move(route));
}

std::variant<Router::Found, Response> Router::find(const Request& request) const {
    const std::vector<std::string> path = split_path(request.path);
    const Method method = request.method == Method::Head ? Method::Get : request.method;
    bool path_known = false;
    std::vector<std::string> params;
    for (bool literal : {true, false}) {
        for (const Route& route : m_routes) {
            if (route.literal != literal || !matches(route.segments, path, params))
                continue;
            path_known = true;
            if (route.method == method)
                return Found{&route.handler, route.access, params};
        }
        if (path_known)
            break;
    }
    if (path_known)
        return error_response(405, "this path does not take " + std::string(request.method == Method::Other
                                                                                 ? "that method"
                                                                                 : "this method"));
    return error_response(404, "there is nothing at " + request.path);
}

std::optional<int64_t> parse_id(const std::string& text) {
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
        return std::nullopt;
    return id;
}

}  // namespace os1::server
