// The Hugging Face hub: where a file downloads from, and the size and sha256 that the hub's
// API publishes for it (an LFS file's oid is its sha256).
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/paths.h"
#include "models/detail.h"
#include "models/models.h"

namespace os1::models {

namespace {

using nlohmann::json;

bool is_sha256_hex(const std::string& text) {
    if (text.size() != 64)
        return false;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

uint64_t size_field(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_number_unsigned())
        return 0;
    return it->get<uint64_t>();
}

// One entry of the tree listing ({"path", "size", "lfs": {"oid", "size"}}) or of the model
// info's siblings ({"rfilename", "size", "lfs": {"sha256", "size"}}).
RemoteFile remote_file_from(const json& item) {
    RemoteFile file;
    file.size_bytes = size_field(item, "size");
    auto lfs = item.find("lfs");
    if (lfs == item.end() || !lfs->is_object())
        return file;
    if (uint64_t lfs_size = size_field(*lfs, "size"))
        file.size_bytes = lfs_size;
    for (const char* key : {"sha256", "oid"}) {
        auto it = lfs->find(key);
        if (it == lfs->end() || !it->is_string())
            continue;
        std::string hex = it->get<std::string>();
        if (hex.rfind("sha256:", 0) == 0)
            hex.erase(0, 7);
        if (is_sha256_hex(hex)) {
            file.sha256 = hex;
            break;
        }
    }
    return file;
}

const json* find_file(const json& listing, const std::string& name) {
    const json* items = &listing;
    if (listing.is_object()) {
        auto siblings = listing.find("siblings");
        if (siblings == listing.end())
            return nullptr;
        items = &*siblings;
    }
    if (!items->is_array())
        return nullptr;
    for (const auto& item : *items) {
        if (!item.is_object())
            continue;
        for (const char* key : {"path", "rfilename"}) {
            auto it = item.find(key);
            if (it != item.end() && it->is_string() && it->get<std::string>() == name)
                return &item;
        }
    }
    return nullptr;
}

}  // namespace

std::string hf_endpoint() {
    const char* env = std::getenv("OS1_HF_ENDPOINT");
    std::string endpoint = env && *env ? env : "https://huggingface.co";
    while (!endpoint.empty() && endpoint.back() == '/')
        endpoint.pop_back();
    return endpoint;
}

std::string hf_download_url(const std::string& endpoint, const std::string& repo, const std::string& file) {
    return endpoint + "/" + repo + "/resolve/main/" + file;
}

ErrorOr<RemoteFile> hf_file_info(const std::string& endpoint, const std::string& repo, const std::string& file) {
    std::string url = endpoint + "/api/models/" + repo + "/tree/main";
    detail::HttpResponse response = OS1_TRY(detail::http_get(url, detail::hf_auth_headers()));
    if (response.status == 401 || response.status == 404)
        return make_error(repo + ": no such repository on " + endpoint + " (HTTP " + std::to_string(response.status) +
                          "); check the name, or set HF_TOKEN if it is private or gated");
    if (response.status != 200)
        return detail::http_status_error(url, response.status);
    json listing = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (listing.is_discarded())
        return make_error(url + ": the hub's answer is not JSON; check OS1_HF_ENDPOINT");
    const json* item = find_file(listing, file);
    if (!item)
        return make_error(repo + ": has no file " + file + " on " + endpoint +
                          "; the catalog may be out of date: pass the file's URL to os1 pull instead");
    return remote_file_from(*item);
}

ErrorOr<std::filesystem::path> pull_catalog_entry(const CatalogEntry& entry, const std::filesystem::path& os1_dir,
                                                  DownloadOptions options) {
    std::filesystem::path destination = os1_dir / entry.file;
    std::error_code ec;
    if (std::filesystem::is_regular_file(destination, ec))
        return destination;
    OS1_TRY(ensure_writable_dir(os1_dir));
    std::string endpoint = hf_endpoint();
    RemoteFile remote = OS1_TRY(hf_file_info(endpoint, entry.repo, entry.file));
    if (remote.sha256.empty() && options.on_notice)
        options.on_notice(entry.file + ": the hub publishes no sha256 for it; only its size will be checked");
    options.url = hf_download_url(endpoint, entry.repo, entry.file);
    options.destination = destination;
    options.sha256 = remote.sha256;
    options.expected_bytes = remote.size_bytes;
    for (auto& header : detail::hf_auth_headers())
        options.headers.push_back(std::move(header));
    OS1_TRY(download(options));
    return destination;
}

namespace detail {

std::vector<std::string> hf_auth_headers() {
    const char* token = std::getenv("HF_TOKEN");
    if (!token || !*token)
        return {};
    return {std::string("Authorization: Bearer ") + token};
}

}  // namespace detail

}  // namespace os1::models
