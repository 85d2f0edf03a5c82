#include "cli/account-store-for.h"

#include <ctime>

#include "cli/terminal-environment.h"
#include "core/paths.h"

namespace os1::cli {

ErrorOr<std::unique_ptr<accounts::AccountStore>> account_store_for(const GlobalOptions& global) {
    return accounts::AccountStore::open(resolve_data_home(global.home), terminal_environment());
}

std::string account_time_text(int64_t unix_seconds) {
    const std::time_t t = std::time_t(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace os1::cli
