#include "server/auth.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "server/http-errors.h"
#include "server/json-body.h"
#include "server/router.h"

namespace os1::server {

using nlohmann::json;

namespace {

constexpr const char* k_cookie = "os1_session";

bool unsafe(Method method) {
    return method != Method::Get && method != Method::Head && method != Method::Options;
}

// The value of cookie `name` in a Cookie header.
std::string_view cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const size_t semicolon = header.find(';');
        std::string_view pair = header.substr(0, semicolon);
        while (!pair.empty() && pair.front() == ' ')
            pair.remove_prefix(1);
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
            return pair.substr(name.size() + 1);
        if (semicolon == std::string_view::npos)
            break;
        header.remove_prefix(semicolon + 1);
    }
    return {};
}

bool equal_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The host name of a Host header or an origin's authority: "[::1]:8080" -> "[::1]".
std::string_view host_name(std::string_view authority) {
    if (authority.starts_with("[")) {
        const size_t close = authority.find(']');
        return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
    }
    return authority.substr(0, authority.find(':'));
}

bool loopback_host(std::string_view host) {
    const std::string_view name = host_name(host);
    return name == "localhost" || name == "127.0.0.1" || name == "[::1]";
}

std::string cookie(const Request& request, std::string_view value, int64_t max_age) {
    std::string text = std::string(k_cookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
    if (request.tls)
        text += "; Secure";
    return text;
}

Response unauthorized() {
    Response response = error_response(401, "sign in first, or send an API token as 'Authorization: Bearer TOKEN'");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
}

}  // namespace

Gate::Gate(accounts::AccountStore& accounts, GateOptions options, Clock clock)
    : m_accounts(accounts),
      m_options(options),
      m_login_per_user(clock, options.login_per_user_per_second, options.login_user_burst),
      m_login_per_address(clock, options.login_per_address_per_second, options.login_address_burst) {}

bool Gate::local_access_open() {
    if (!m_options.loopback_only)
        return false;
    auto count = m_accounts.user_count();
    return count && *count == 0;
}

std::variant<Caller, Response> Gate::authenticate(const Request& request) {
    const std::string_view authorization = request.header("authorization");
    if (!authorization.empty()) {
        if (!authorization.starts_with("Bearer "))
            return unauthorized();
        auto user = m_accounts.user_for_token(authorization.substr(7));
        if (user.is_error())
            return error_response(user.error());
        if (!user.value())
            return error_response(401, "the API token is unknown or revoked; create one with `os1 token create`",
                                  "invalid_api_key");
        auto record = m_accounts.find_user(**user);
        return Caller{**user, record && record.value() && record.value()->admin, Caller::Via::Token, {}};
    }
    const std::string_view secret = cookie_value(request.header("cookie"), k_cookie);
    if (!secret.empty()) {
        auto session = m_accounts.session(secret);
        if (session.is_error())
            return error_response(session.error());
        if (session.value()) {
            if (unsafe(request.method) && !equal_secret(request.header("x-csrf-token"), session.value()->csrf))
                return error_response(403, "the request lacks this session's X-CSRF-Token", "csrf_failed");
            auto record = m_accounts.find_user(session.value()->user);
            return Caller{session.value()->user, record && record.value() && record.value()->admin,
                          Caller::Via::Session, session.value()->csrf};
        }
    }
    if (!local_access_open())
        return unauthorized();
    // The local user: only through a loopback name, and never from another site's page.
    if (!loopback_host(request.header("host")))
        return error_response(403, "without accounts, the server answers only requests addressed to localhost");
    const std::string_view origin = request.header("origin");
    if (!origin.empty()) {
        std::string_view authority = origin.substr(origin.find("://") == std::string_view::npos ? 0 : origin.find("://") + 3);
        if (authority != request.header("host"))
            return error_response(403, "requests from another origin are refused");
    }
    return Caller{k_local_user, true, Caller::Via::Local, {}};
}

Response Gate::start_session(const Request& request, const std::string& user, int status) {
    auto session = m_accounts.create_session(user, m_options.session_ttl);
    if (session.is_error())
        return error_response(session.error());
    Response response = json_response(status, dump(json{{"user", user}, {"csrf", session->second.csrf}}));
    response.headers.emplace_back("Set-Cookie", cookie(request, session->first, m_options.session_ttl.count()));
    return response;
}

Response Gate::login(const Request& request) {
    auto body = parse_json_object(request.body);
    if (body.is_error())
        return error_response(body.error());
    auto user = required_string(*body, "user");
    auto password = required_string(*body, "password");
    if (user.is_error())
        return error_response(user.error());
    if (password.is_error())
        return error_response(password.error());
    const auto by_address = m_login_per_address.take(request.peer);
    if (!by_address.allowed)
        return too_many_requests(by_address.retry_after, "too many sign-in attempts from this address");
    const auto by_user = m_login_per_user.take(*user);
    if (!by_user.allowed)
        return too_many_requests(by_user.retry_after, "too many sign-in attempts for this user");
    auto verified = m_accounts.verify_password(*user, *password);
    if (verified.is_error())
        return error_response(verified.error());
    if (!verified.value())
        return error_response(401, "the user name or the password is wrong", "invalid_credentials");
    return start_session(request, *user, 200);
}

Response Gate::logout(const Request& request) {
    const std::string_view secret = cookie_value(request.header("cookie"), k_cookie);
    if (!secret.empty()) {
        if (auto ended = m_accounts.end_session(secret); ended.is_error())
            return error_response(ended.error());
    }
    Response response = no_content();
    response.headers.emplace_back("Set-Cookie", cookie(request, "", 0));
    return response;
}

Response Gate::me(const Caller& caller) {
    return json_response(200, dump(json{{"user", caller.user},
                                    {"admin", caller.admin},
                                    {"csrf", caller.csrf},
                                    {"local", caller.via == Caller::Via::Local}}));
}

Response Gate::change_password(const Request& request, const Caller& caller) {
    if (caller.via == Caller::Via::Local)
        return error_response(400, "the local user has no password; add accounts with `os1 user add`");
    auto body = parse_json_object(request.body);
    if (body.is_error())
        return error_response(body.error());
    auto current = required_string(*body, "current");
    auto next = required_string(*body, "new");
    if (current.is_error())
        return error_response(current.error());
    if (next.is_error())
        return error_response(next.error());
    const auto attempt = m_login_per_user.take(caller.user);
    if (!attempt.allowed)
        return too_many_requests(attempt.retry_after, "too many password attempts");
    auto verified = m_accounts.verify_password(caller.user, *current);
    if (verified.is_error())
        return error_response(verified.error());
    if (!verified.value())
        return error_response(403, "the current password is wrong", "invalid_credentials");
    if (auto set = m_accounts.set_password(caller.user, *next); set.is_error())
        return error_response(set.error());
    if (caller.via == Caller::Via::Session)
        return start_session(request, caller.user, 200);
    return no_content();
}

Response Gate::list_tokens(const Caller& caller) {
    if (caller.via == Caller::Via::Local)
        return json_response(200, dump(json{{"tokens", json::array()}}));
    auto tokens = m_accounts.list_tokens(caller.user);
    if (tokens.is_error())
        return error_response(tokens.error());
    json list = json::array();
    for (const accounts::TokenRecord& token : *tokens)
        list.push_back({{"id", token.id},
                        {"label", token.label},
                        {"created", token.created},
                        {"last_used", token.last_used}});
    return json_response(200, dump(json{{"tokens", std::move(list)}}));
}

Response Gate::create_token(const Request& request, const Caller& caller) {
    if (caller.via == Caller::Via::Local)
        return error_response(400, "API tokens belong to accounts; add one with `os1 user add`");
    auto body = parse_json_object(request.body);
    if (body.is_error())
        return error_response(body.error());
    auto label = optional_string(*body, "label");
    if (label.is_error())
        return error_response(label.error());
    auto token = m_accounts.create_token(caller.user, label->value_or(""));
    if (token.is_error())
        return error_response(token.error());
    return json_response(201, dump(json{{"id", token->first.id}, {"label", token->first.label}, {"token", token->second}}));
}

Response Gate::revoke_token(const Caller& caller, const std::string& id) {
    auto parsed = parse_id(id);
    if (!parsed || caller.via == Caller::Via::Local)
        return error_response(404, "the token does not exist");
    auto revoked = m_accounts.revoke_token(caller.user, *parsed);
    if (revoked.is_error())
        return error_response(revoked.error());
    return *revoked ? no_content() : error_response(404, "the token does not exist");
}

}  // namespace os1::server
