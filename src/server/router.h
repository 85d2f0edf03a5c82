// Routes: a method and a path pattern ("/api/memory/{}" matches one segment) to a handler,
// with the access it needs. Literal routes win over patterns. Not thread-safe while routes are
// added; find() is safe from any thread afterwards.
#pragma once

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "server/http-types.h"
#include "server/user-scope.h"

namespace os1::server {

struct Caller;

// What a handler gets: the request, the pattern's segments, and for signed-in routes the
// caller and their scope.
struct Call {
    const Request& request;
    std::vector<std::string> params;
    const Caller* caller = nullptr;
    UserScope* user = nullptr;
};

using RouteHandler = std::function<Response(Call&)>;

enum class Access {
    Public,  // anyone (login, health, the web app's files)
    Signed,  // an authenticated caller (or the local user when no accounts exist)
};

class Router {
public:
    void add(Method method, std::string pattern, Access access, RouteHandler handler);

    struct Found {
        const RouteHandler* handler = nullptr;
        Access access = Access::Public;
        std::vector<std::string> params;
    };
    // The route for `request`, or a 404 (no such path) or 405 (not with this method) response.
    std::variant<Found, Response> find(const Request& request) const;

private:
    struct Route {
        Method method;
        std::vector<std::string> segments;  // "{}" for a parameter
        bool literal = true;
        Access access;
        RouteHandler handler;
    };
    std::vector<Route> m_routes;
};

// A path parameter as an id: digits only, as the ids the server hands out; nullopt otherwise
// (which handlers answer like an id that does not exist).
std::optional<int64_t> parse_id(const std::string& text);

}  // namespace os1::server
