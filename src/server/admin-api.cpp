#include "server/admin-api.h"

#include <nlohmann/json.hpp>

#include "server/http-errors.h"
#include "server/json-body.h"

namespace os1::server {

using nlohmann::json;

namespace {

// Accounts exist to be administered only once there are accounts: the local user (no
// accounts yet) adds the first one from the command line.
std::optional<Response> refuse_unless_admin(const Caller& caller) {
    if (caller.via == Caller::Via::Local)
        return error_response(403, "add the first account from the command line: `os1 user add NAME --admin`");
    if (!caller.admin)
        return error_response(403, "only an admin may manage accounts");
    return std::nullopt;
}

}  // namespace

Response list_accounts(accounts::AccountStore& accounts, const Caller& caller) {
    if (auto refused = refuse_unless_admin(caller))
        return *refused;
    auto users = accounts.list_users();
    if (users.is_error())
        return error_response(users.error());
    json list = json::array();
    for (const accounts::UserRecord& user : *users)
        list.push_back({{"user", user.name}, {"admin", user.admin}, {"created", user.created}});
    return json_response(200, dump(json{{"users", std::move(list)}}));
}

Response add_account(accounts::AccountStore& accounts, const Caller& caller, const Request& request) {
    if (auto refused = refuse_unless_admin(caller))
        return *refused;
    auto body = parse_json_object(request.body);
    if (body.is_error())
        return error_response(body.error());
    auto name = required_string(*body, "user");
    auto password = required_string(*body, "password");
    auto admin = optional_bool(*body, "admin");
    for (const Error* error : {name.is_error() ? &name.error() : nullptr,
                               password.is_error() ? &password.error() : nullptr,
                               admin.is_error() ? &admin.error() : nullptr}) {
        if (error)
            return error_response(*error);
    }
    const auto role = admin->value_or(false) ? accounts::Role::Admin : accounts::Role::User;
    if (auto added = accounts.add_user(*name, *password, role); added.is_error())
        return error_response(added.error());
    return json_response(201, dump(json{{"user", *name}, {"admin", role == accounts::Role::Admin}}));
}

Response remove_account(accounts::AccountStore& accounts, const Caller& caller, const std::string& name) {
    if (auto refused = refuse_unless_admin(caller))
        return *refused;
    if (name == caller.user)
        return error_response(409, "an admin cannot remove their own account here; another admin or the command "
                                   "line can");
    auto removed = accounts.remove_user(name);
    if (removed.is_error())
        return error_response(removed.error());
    return *removed ? no_content() : error_response(404, "there is no account '" + name + "'");
}

}  // namespace os1::server
