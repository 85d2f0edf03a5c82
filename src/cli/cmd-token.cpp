// `os1 token`: API tokens with which scripts and apps act as one user of a shared os1. A token is
// shown once, when it is made; only its SHA-256 is stored, so a lost token is revoked and
// replaced, never shown again.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/account-store-for.h"
#include "cli/commands.h"
#include "cli/id-argument.h"
#include "cli/terminal-text.h"

namespace os1::cli {

namespace {

using nlohmann::ordered_json;

struct TokenArgs {
    std::string user;
    std::string label;
    int64_t id = 0;
    bool json = false;
};

int fail(const char* action, const Error& error) {
    std::string message = error.message;
    if (error.kind == ErrorKind::NotFound)
        message += "; see os1 user list";
    std::fprintf(stderr, "os1 token %s: %s\n", action, terminal_text(message).c_str());
    return 1;
}

int run_create(const GlobalOptions& global, const TokenArgs& args) {
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("create", store.error());
    auto created = store.value()->create_token(args.user, args.label);
    if (created.is_error())
        return fail("create", created.error());
    const auto& [record, text] = created.value();
    // The token alone on stdout, so that `TOKEN=$(os1 token create ...)` takes it whole.
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "os1 token create: token %lld of \"%s\"; it is shown this once only, so keep it now (revoke it with: "
                 "os1 token revoke --user %s %lld)\n",
                 static_cast<long long>(record.id), record.user.c_str(), record.user.c_str(),
                 static_cast<long long>(record.id));
    return 0;
}

int run_list(const GlobalOptions& global, const TokenArgs& args) {
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("list", store.error());
    auto tokens = store.value()->list_tokens(args.user);
    if (tokens.is_error())
        return fail("list", tokens.error());
    if (args.json) {
        ordered_json list = ordered_json::array();
        for (const accounts::TokenRecord& token : tokens.value())
            list.push_back({{"id", token.id},
                            {"label", token.label},
                            {"created", account_time_text(token.created)},
                            {"last_used", token.last_used ? ordered_json(account_time_text(token.last_used))
                                                          : ordered_json(nullptr)}});
        std::printf("%s\n", ordered_json({{"user", args.user}, {"tokens", std::move(list)}}).dump().c_str());
        return 0;
    }
    if (tokens.value().empty())
        std::printf("\"%s\" has no tokens; make one with: os1 token create --user %s\n", args.user.c_str(),
                    args.user.c_str());
    for (const accounts::TokenRecord& token : tokens.value())
        std::printf("%6lld  created %s  last used %s  %s\n", static_cast<long long>(token.id),
                    account_time_text(token.created).c_str(),
                    token.last_used ? account_time_text(token.last_used).c_str() : "never               ",
                    token.label.empty() ? "(no label)" : terminal_text(token.label).c_str());
    return 0;
}

int run_revoke(const GlobalOptions& global, const TokenArgs& args) {
    auto store = account_store_for(global);
    if (store.is_error())
        return fail("revoke", store.error());
    auto revoked = store.value()->revoke_token(args.user, args.id);
    if (revoked.is_error())
        return fail("revoke", revoked.error());
    if (!revoked.value()) {
        std::fprintf(stderr, "os1 token revoke: \"%s\" has no token %lld; see os1 token list --user %s\n",
                     args.user.c_str(), static_cast<long long>(args.id), args.user.c_str());
        return 1;
    }
    std::fprintf(stderr, "os1 token revoke: revoked token %lld of \"%s\"\n", static_cast<long long>(args.id),
                 args.user.c_str());
    return 0;
}

}  // namespace

void register_token(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* cmd = app.add_subcommand("token", "API tokens with which scripts and apps act as one user of os1 serve");
    cmd->require_subcommand(1);
    cmd->footer(
        "A token is \"os1_\" and 43 characters, sent as \"Authorization: Bearer TOKEN\". Only its SHA-256 is stored: "
        "it is printed once, by create, and never again. Removing the user or revoking the token ends it.");
    auto args = std::make_shared<TokenArgs>();
    auto user_option = [&](CLI::App* sub) {
        sub->add_option("--user", args->user, "The account the token acts as")->required();
    };

    CLI::App* create = cmd->add_subcommand("create", "Make a token and print it, alone, on stdout");
    user_option(create);
    create->add_option("--label", args->label, "What holds it, such as \"phone\" (at most 100 bytes, one line)");
    create->callback([&global, &exit_code, args] { exit_code = run_create(global, *args); });

    CLI::App* list = cmd->add_subcommand("list", "List a user's tokens: id, dates and label (never the token)");
    user_option(list);
    list->add_flag("--json", args->json,
                   "Print {\"user\", \"tokens\": [{\"id\", \"label\", \"created\", \"last_used\"}]}; last_used is "
                   "null when never used, else at most a minute stale");
    list->callback([&global, &exit_code, args] { exit_code = run_list(global, *args); });

    CLI::App* revoke = cmd->add_subcommand("revoke", "Revoke one of a user's tokens by its id");
    user_option(revoke);
    revoke->add_option("id", args->id, "The token's id, from os1 token list")
        ->required()
        ->transform(id_argument("os1 token list"));
    revoke->callback([&global, &exit_code, args] { exit_code = run_revoke(global, *args); });
}

}  // namespace os1::cli
