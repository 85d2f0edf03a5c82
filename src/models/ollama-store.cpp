// GGUF models in Ollama's local store, usable in place. A manifest at
// manifests/<host>/<namespace>/<model>/<tag> lists layers; the layer of media type
// application/vnd.ollama.image.model has digest sha256:<hex>, stored as blobs/sha256-<hex>.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "models/detail.h"
#include "models/models.h"

namespace os1::models {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;

constexpr const char* k_model_layer = "application/vnd.ollama.image.model";
constexpr const char* k_template_layer = "application/vnd.ollama.image.template";
constexpr const char* k_default_host = "registry.ollama.ai";

// "qwen2.5:0.5b" for the official library, "user/model:tag" for other namespaces, and
// "host/namespace/model:tag" for other registries (hf.co/...).
std::string display_name(const fs::path& relative) {
    std::vector<std::string> parts;
    for (const auto& part : relative)
        parts.push_back(part.string());
    if (parts.size() != 4)
        return {};
    const std::string& host = parts[0];
    const std::string& space = parts[1];
    std::string name = parts[2] + ":" + parts[3];
    if (host != k_default_host)
        return host + "/" + space + "/" + name;
    return space == "library" ? name : space + "/" + name;
}

std::optional<InstalledModel> read_manifest(const fs::path& root, const fs::path& manifest) {
    std::error_code ec;
    if (fs::file_size(manifest, ec) > (1u << 20) || ec)
        return std::nullopt;
    std::ifstream in(manifest, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array())
        return std::nullopt;

    std::string digest;
    bool has_template = false;
    for (const auto& layer : doc["layers"]) {
        if (!layer.is_object())
            continue;
        std::string media = layer.value("mediaType", std::string());
        if (media == k_template_layer)
            has_template = true;
        if (media == k_model_layer && digest.empty())
            digest = layer.value("digest", std::string());
    }
    if (digest.rfind("sha256:", 0) != 0 || digest.size() != 7 + 64 ||
        digest.find_first_of("/.", 7) != std::string::npos)
        return std::nullopt;

    // Current Ollama names blobs sha256-<hex>; early versions used sha256:<hex>.
    fs::path blob = root / "blobs" / ("sha256-" + digest.substr(7));
    if (!fs::exists(blob, ec))
        blob = root / "blobs" / digest;
    if (!detail::is_gguf_file(blob))
        return std::nullopt;

    InstalledModel model;
    model.name = display_name(fs::relative(manifest, root / "manifests", ec));
    if (model.name.empty())
        return std::nullopt;
    model.path = blob;
    model.size_bytes = detail::file_size_or_zero(blob);
    model.source = ModelSource::Ollama;
    model.chat = has_template;
    return model;
}

}  // namespace

std::vector<InstalledModel> list_ollama_models(const std::vector<fs::path>& roots) {
    std::vector<InstalledModel> models;
    std::set<std::string> seen;
    for (const auto& root : roots) {
        std::error_code ec;
        fs::path manifests = root / "manifests";
        if (!fs::is_directory(manifests, ec))
            continue;
        fs::recursive_directory_iterator it(manifests, fs::directory_options::skip_permission_denied, ec);
        for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it.depth() != 3 || !it->is_regular_file(ec))
                continue;
            auto model = read_manifest(root, it->path());
            if (model && seen.insert(model->name).second)
                models.push_back(std::move(*model));
        }
    }
    std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return models;
}

}  // namespace os1::models
