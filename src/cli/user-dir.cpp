#include "cli/user-dir.h"

#include "core/paths.h"
#include "core/user-names.h"

namespace os1::cli {

ErrorOr<std::filesystem::path> user_dir_for(const GlobalOptions& global, const std::string& user) {
    auto dir = user_dir(resolve_data_home(global.home), user);
    if (dir.is_error())
        return make_error(ErrorKind::InvalidInput, "--user: " + dir.error().message);
    return dir;
}

}  // namespace os1::cli
