#include "server/server.h"

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "server/admin-api.h"
#include "server/companion-api.h"
#include "server/http-errors.h"
#include "server/json-body.h"
#include "server/openai-api.h"
#include "server/router.h"
#include "server/user-scope.h"
#include "server/web-assets.h"

namespace os1::server {

using nlohmann::json;

bool is_loopback_address(const std::string& host) {
    if (host == "localhost")
        return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

struct CompanionServer::Impl {
    Impl(companion::CompanionHost& host_, llm::Backend& backend_, accounts::AccountStore& accounts_,
         ServerOptions options_, Environment env_)
        : host(host_),
          accounts(accounts_),
          options(std::move(options_)),
          env(std::move(env_)),
          gate(accounts_, options.gate, options.limit_clock),
          openai{backend_, options.model_id, options.sampling, backend_.info().context_size, env.clock},
          requests(options.limit_clock, options.limits.requests_per_second, options.limits.request_burst),
          tokens(options.limit_clock, options.limits.tokens_per_second, options.limits.token_burst),
          voice(options.voice) {}

    companion::CompanionHost& host;
    accounts::AccountStore& accounts;
    ServerOptions options;
    Environment env;
    Gate gate;
    OpenAIContext openai;
    accounts::RateLimiter requests;
    accounts::RateLimiter tokens;
    Router router;
    VoiceSessions voice;  // before http, which is stopped first
    std::unique_ptr<HttpServer> http;

    void add_routes();
    Response handle(Request& request);
    Response serve_web(const Request& request) const;
    std::optional<Response> limit(const Caller& caller, const Request& request);
    // Charges one reply (its max_tokens at most) to `user`'s token budget; when the budget is
    // spent, how long until it allows one.
    std::optional<std::chrono::seconds> charge_reply(const std::string& user);
};

constexpr std::string_view k_budget_spent = "this user's token budget is spent for now";

namespace {

bool generates(const Request& request) {
    return request.method == Method::Post && (request.path == "/api/chat" || request.path == "/v1/chat/completions");
}

}  // namespace

void CompanionServer::Impl::add_routes() {
    router.add(Method::Get, "/api/health", Access::Public, [this](Call&) {
        const llm::BackendInfo info = host.backend_info();
        return json_response(200, dump(json{{"status", "ok"}, {"model", options.model_id}, {"parallel", info.parallel}}));
    });
    router.add(Method::Post, "/api/login", Access::Public, [this](Call& call) { return gate.login(call.request); });
    router.add(Method::Post, "/api/logout", Access::Public, [this](Call& call) { return gate.logout(call.request); });
    router.add(Method::Get, "/api/me", Access::Signed, [this](Call& call) { return gate.me(*call.caller); });
    router.add(Method::Post, "/api/password", Access::Signed,
               [this](Call& call) { return gate.change_password(call.request, *call.caller); });
    router.add(Method::Get, "/api/tokens", Access::Signed, [this](Call& call) { return gate.list_tokens(*call.caller); });
    router.add(Method::Post, "/api/tokens", Access::Signed,
               [this](Call& call) { return gate.create_token(call.request, *call.caller); });
    router.add(Method::Delete, "/api/tokens/{}", Access::Signed,
               [this](Call& call) { return gate.revoke_token(*call.caller, call.params[0]); });
    router.add(Method::Get, "/api/admin/users", Access::Signed,
               [this](Call& call) { return list_accounts(accounts, *call.caller); });
    router.add(Method::Post, "/api/admin/users", Access::Signed,
               [this](Call& call) { return add_account(accounts, *call.caller, call.request); });
    router.add(Method::Delete, "/api/admin/users/{}", Access::Signed,
               [this](Call& call) { return remove_account(accounts, *call.caller, call.params[0]); });
    add_companion_routes(router);
    router.add(Method::Get, "/api/voice", Access::Signed, [this](Call& call) {
        // Each spoken reply is charged like a chat request.
        return voice_socket(call, voice, [this, user = call.caller->user]() -> std::optional<std::string> {
            if (const auto wait = charge_reply(user))
                return std::string(k_budget_spent) + "; try again in " + std::to_string(wait->count()) + " seconds";
            return std::nullopt;
        });
    });
    router.add(Method::Get, "/v1/models", Access::Signed, [this](Call&) { return list_models(openai); });
    router.add(Method::Post, "/v1/chat/completions", Access::Signed,
               [this](Call& call) { return chat_completions(openai, call.request, *call.user); });
}

std::optional<Response> CompanionServer::Impl::limit(const Caller& caller, const Request& request) {
    const auto decision = requests.take(caller.user);
    if (!decision.allowed)
        return too_many_requests(decision.retry_after, "too many requests");
    if (generates(request)) {
        if (const auto wait = charge_reply(caller.user))
            return too_many_requests(*wait, k_budget_spent);
    }
    return std::nullopt;
}

std::optional<std::chrono::seconds> CompanionServer::Impl::charge_reply(const std::string& user) {
    const auto budget = tokens.take(user, double(options.sampling.max_tokens));
    if (budget.allowed)
        return std::nullopt;
    return budget.retry_after;
}

Response CompanionServer::Impl::serve_web(const Request& request) const {
    if (request.method != Method::Get && request.method != Method::Head)
        return error_response(405, "the web app's files are read with GET");
    auto asset = find_web_asset(request.path);
    if (!asset)
        return error_response(404, "there is nothing at this path");
    Response response;
    response.content_type = std::string(asset->content_type);
    response.body = std::string(asset->bytes);
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: "
                                  "blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                  "form-action 'self'");
    return response;
}

Response CompanionServer::Impl::handle(Request& request) {
    if (!request.path.starts_with("/api/") && !request.path.starts_with("/v1/"))
        return serve_web(request);
    auto found = router.find(request);
    if (auto* refused = std::get_if<Response>(&found))
        return std::move(*refused);
    Router::Found& route = std::get<Router::Found>(found);
    Call call{request, std::move(route.params)};
    if (route.access == Access::Public)
        return (*route.handler)(call);
    auto authenticated = gate.authenticate(request);
    if (auto* refused = std::get_if<Response>(&authenticated))
        return std::move(*refused);
    const Caller& caller = std::get<Caller>(authenticated);
    if (auto refused = limit(caller, request))
        return std::move(*refused);
    UserScope scope(host, caller.user);
    call.caller = &caller;
    call.user = &scope;
    return (*route.handler)(call);
}

CompanionServer::CompanionServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

CompanionServer::~CompanionServer() {
    if (m_impl->http)
        m_impl->http->shutdown(std::chrono::milliseconds(0));
    m_impl->voice.stop_all();
}

ErrorOr<std::unique_ptr<CompanionServer>> CompanionServer::start(companion::CompanionHost& host,
                                                                 llm::Backend& backend,
                                                                 accounts::AccountStore& accounts,
                                                                 ServerOptions options, Environment env) {
    options.gate.loopback_only = is_loopback_address(options.http.host);
    if (!options.gate.loopback_only && OS1_TRY(accounts.user_count()) == 0)
        return make_error(ErrorKind::InvalidInput,
                          "listening on " + options.http.host +
                              " would let anyone on the network talk to your companion: add an account first "
                              "(`os1 user add NAME`), or listen on 127.0.0.1");
    auto impl = std::make_unique<Impl>(host, backend, accounts, std::move(options), std::move(env));
    impl->add_routes();
    Impl* raw = impl.get();
    impl->http = OS1_TRY(HttpServer::start(
        raw->options.http, [raw](Request& request) { return raw->handle(request); }, raw->env.log));
    return std::unique_ptr<CompanionServer>(new CompanionServer(std::move(impl)));
}

uint16_t CompanionServer::port() const {
    return m_impl->http->port();
}

std::string CompanionServer::url() const {
    const std::string& host = m_impl->options.http.host;
    const bool v6 = host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

void CompanionServer::shutdown(std::chrono::milliseconds grace) {
    m_impl->voice.stop_all();
    m_impl->http->shutdown(grace);
}

}  // namespace os1::server
