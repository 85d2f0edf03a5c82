// The accounts module's public surface: who may use a shared os1 (users with argon2id
// passwords, an admin role), how they prove it (API tokens and browser sessions, stored only as
// hashes) and how hard they may knock (per-key rate limiting). Other modules include this header
// only.
//
// The store holds credentials and nothing else: no function here reads or writes a user's
// conversations or memory, so being an admin (adding and removing accounts) never grants access
// to another user's data.
//
//   auto store = OS1_TRY(os1::accounts::AccountStore::open(home, env));
//   OS1_TRY(store->add_user("sam", password));
//   auto [record, token] = OS1_TRY(store->create_token("sam", "phone"));
//   std::optional<std::string> user = OS1_TRY(store->user_for_token(token));
#pragma once

#include "accounts/account-store.h"
#include "accounts/rate-limiter.h"
