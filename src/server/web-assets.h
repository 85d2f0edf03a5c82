// The web app's files (web/ in the source tree), compiled into the binary so that `os1 serve`
// needs nothing beside it. Thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace os1::server {

struct WebAsset {
    std::string_view content_type;
    std::string_view bytes;
};

// The file served at `path` ("/" is index.html); nullopt when there is none.
std::optional<WebAsset> find_web_asset(std::string_view path);

}  // namespace os1::server
