// The accounts of the data folder chosen by --home, for `os1 user` and `os1 token`.
#pragma once

#include <memory>
#include <string>

#include "accounts/accounts.h"
#include "cli/commands.h"

namespace os1::cli {

// Opens <home>/accounts.sqlite at the interactive hashing cost, on terminal_environment().
ErrorOr<std::unique_ptr<accounts::AccountStore>> account_store_for(const GlobalOptions& global);

// A record's time for people and for --json: "2026-05-03T12:00:00Z".
std::string account_time_text(int64_t unix_seconds);

}  // namespace os1::cli
