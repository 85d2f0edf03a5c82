// Account administration over HTTP, for callers with the admin role: list, add and remove
// accounts. It reaches the account store only, never a user's companion, so an admin cannot
// read anyone's conversations, memories or journal through it.
#pragma once

#include "accounts/accounts.h"
#include "server/auth.h"
#include "server/http-types.h"

namespace os1::server {

// GET /api/admin/users.
Response list_accounts(accounts::AccountStore& accounts, const Caller& caller);
// POST /api/admin/users {"user","password","admin"?}.
Response add_account(accounts::AccountStore& accounts, const Caller& caller, const Request& request);
// DELETE /api/admin/users/{name}: the account, its tokens and sessions; the data folder stays.
Response remove_account(accounts::AccountStore& accounts, const Caller& caller, const std::string& name);

}  // namespace os1::server
