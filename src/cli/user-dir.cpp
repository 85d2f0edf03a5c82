#include "cli/user-dir.h"

#include "core/paths.h"
#include "core/utf8.h"

namespace os1::cli {

ErrorOr<std::filesystem::path> user_dir_for(const GlobalOptions& global, const std::string& user) {
    if (user.empty() || user == "." || user == ".." || user.find('/') != std::string::npos || !is_valid_utf8(user))
        return make_error("--user \"" + user + "\" is not a valid user name");
    return resolve_data_home(global.home) / "users" / user;
}

}  // namespace os1::cli
