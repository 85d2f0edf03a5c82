// Who is calling. API clients send `Authorization: Bearer <token>`; the browser holds an
// HttpOnly, SameSite=Strict session cookie and sends its CSRF token in X-CSRF-Token with every
// state-changing request. While no account exists and the server listens on loopback only,
// the machine's own user may call without credentials, as the local user "default"; requests
// must then name a loopback Host (against DNS rebinding) and come from no other origin.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <variant>

#include "accounts/accounts.h"
#include "server/http-types.h"

namespace os1::server {

struct Caller {
    enum class Via { Local, Token, Session };
    std::string user;
    bool admin = false;
    Via via = Via::Local;
    std::string csrf;  // Session: the token state-changing requests must carry
};

// The user name of the local caller when no accounts exist.
inline constexpr const char* k_local_user = "default";

struct GateOptions {
    bool loopback_only = true;  // the server listens on a loopback address only
    std::chrono::seconds session_ttl = std::chrono::hours(24 * 14);
    // Login attempts: per user name and per client address.
    double login_per_user_per_second = 1.0 / 12, login_user_burst = 5;
    double login_per_address_per_second = 1.0 / 3, login_address_burst = 20;
};

class Gate {
public:
    // `limit_clock` refills the sign-in limits.
    Gate(accounts::AccountStore& accounts, GateOptions options, Clock limit_clock);

    // The caller of a signed-in route, or the response that refuses it (401, 403).
    std::variant<Caller, Response> authenticate(const Request& request);

    // POST /api/login {"user","password"}: sets the session cookie; 401 on bad credentials, 429
    // when attempts come too fast.
    Response login(const Request& request);
    // POST /api/logout: ends the session and clears the cookie.
    Response logout(const Request& request);
    // GET /api/me.
    Response me(const Caller& caller);
    // POST /api/password {"current","new"}: ends every session, then starts a new one here.
    Response change_password(const Request& request, const Caller& caller);
    // GET, POST and DELETE /api/tokens: the caller's own API tokens.
    Response list_tokens(const Caller& caller);
    Response create_token(const Request& request, const Caller& caller);
    Response revoke_token(const Caller& caller, const std::string& id);

    // True while anyone may call as the local user.
    bool local_access_open();

private:
    Response start_session(const Request& request, const std::string& user, int status);

    accounts::AccountStore& m_accounts;
    GateOptions m_options;
    accounts::RateLimiter m_login_per_user;
    accounts::RateLimiter m_login_per_address;
};

}  // namespace os1::server
