#include "llm/model-check.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <fstream>
#include <sstream>

#include "core/file-read.h"
#include "core/handles.h"

namespace os1::llm {

namespace fs = std::filesystem;

namespace {

std::string gib(uint64_t bytes) {
    std::ostringstream out;
    out.precision(1);
    out << std::fixed << double(bytes) / (1024.0 * 1024.0 * 1024.0) << " GiB";
    return out.str();
}

std::string string_key(const gguf_context* gguf, const char* key) {
    int64_t id = gguf_find_key(gguf, key);
    if (id < 0 || gguf_get_kv_type(gguf, id) != GGUF_TYPE_STRING)
        return {};
    return gguf_get_val_str(gguf, id);
}

// A scalar integer value; nullopt when absent, negative, or of another type (arrays included).
std::optional<uint64_t> uint_key(const gguf_context* gguf, const std::string& key) {
    const int64_t id = gguf_find_key(gguf, key.c_str());
    if (id < 0)
        return std::nullopt;
    switch (gguf_get_kv_type(gguf, id)) {
    case GGUF_TYPE_UINT8:
        return gguf_get_val_u8(gguf, id);
    case GGUF_TYPE_UINT16:
        return gguf_get_val_u16(gguf, id);
    case GGUF_TYPE_UINT32:
        return gguf_get_val_u32(gguf, id);
    case GGUF_TYPE_UINT64:
        return gguf_get_val_u64(gguf, id);
    case GGUF_TYPE_INT32:
        return gguf_get_val_i32(gguf, id) < 0 ? std::nullopt : std::optional<uint64_t>(gguf_get_val_i32(gguf, id));
    case GGUF_TYPE_INT64:
        return gguf_get_val_i64(gguf, id) < 0 ? std::nullopt : std::optional<uint64_t>(gguf_get_val_i64(gguf, id));
    default:
        return std::nullopt;
    }
}

// llama.cpp asserts (aborting the process) on some nonsense hyperparameters instead of failing
// the load: those are checked here first, for the attention models os1 runs. Per-layer arrays
// are left to llama.cpp.
ErrorOr<void> check_hyperparameters(const gguf_context* gguf, const std::string& arch, const std::string& where) {
    const auto bad = [&](const std::string& what) {
        return make_error(ErrorKind::InvalidInput, where + ": " + what + "; the file is damaged or was made wrongly");
    };
    const std::optional<uint64_t> blocks = uint_key(gguf, arch + ".block_count");
    if (!blocks)
        return bad(arch + ".block_count is missing");
    if (*blocks == 0 || *blocks > k_max_model_layers)
        return bad(arch + ".block_count is " + std::to_string(*blocks) + ", outside 1.." +
                   std::to_string(k_max_model_layers));
    // The layers the tensors belong to must be the layers the header announces.
    int64_t highest_layer = -1;
    for (int64_t i = 0; i < gguf_get_n_tensors(gguf); ++i) {
        const char* name = gguf_get_tensor_name(gguf, i);
        if (std::strncmp(name, "blk.", 4) == 0)
            highest_layer = std::max<int64_t>(highest_layer, std::strtoll(name + 4, nullptr, 10));
    }
    if (highest_layer >= int64_t(*blocks))
        return bad("tensors exist for layer " + std::to_string(highest_layer) + " but " + arch + ".block_count is " +
                   std::to_string(*blocks));
    const std::optional<uint64_t> embedding = uint_key(gguf, arch + ".embedding_length");
    const std::optional<uint64_t> heads = uint_key(gguf, arch + ".attention.head_count");
    if (embedding && *embedding == 0)
        return bad(arch + ".embedding_length is 0");
    if (!heads)
        return {};
    if (*heads == 0 || (embedding && *heads > *embedding))
        return bad(arch + ".attention.head_count is " + std::to_string(*heads));
    if (const auto kv_heads = uint_key(gguf, arch + ".attention.head_count_kv")) {
        if (*kv_heads == 0 || *kv_heads > *heads || *heads % *kv_heads != 0)
            return bad(arch + ".attention.head_count_kv is " + std::to_string(*kv_heads) + " for " +
                       std::to_string(*heads) + " heads");
    }
    std::optional<uint64_t> head_size = uint_key(gguf, arch + ".attention.key_length");
    if (!head_size && embedding)
        head_size = *embedding / *heads;
    if (const auto rope = uint_key(gguf, arch + ".rope.dimension_count"); rope && head_size) {
        if (*rope > *head_size || *rope % 2 != 0)
            return bad(arch + ".rope.dimension_count is " + std::to_string(*rope) + " for heads of " +
                       std::to_string(*head_size));
    }
    return {};
}

}  // namespace

uint64_t available_memory_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t value = 0;
    std::string unit;
    uint64_t total_kib = 0;
    while (meminfo >> key >> value >> unit) {
        if (key == "MemAvailable:" || key == "SwapFree:")
            total_kib += value;
    }
    return total_kib * 1024;
}

ErrorOr<ModelFileInfo> check_model_file(const fs::path& path, uint64_t available_memory) {
    const std::string where = path.string();
    std::error_code ec;
    if (!fs::exists(path, ec))
        return make_error(where + ": model file not found (list installed models with 'os1 models', or fetch one "
                                  "with 'os1 pull')");
    const fs::file_status status = fs::status(path, ec);
    if (fs::is_directory(status))
        return make_error(where + ": is a folder, not a GGUF model file; name the .gguf file inside it");
    if (!fs::is_regular_file(status))
        return make_error(where + ": is " + file_kind(status) + ", not a regular file; a model is a .gguf file");
    ModelFileInfo info;
    info.file_bytes = fs::file_size(path, ec);
    if (ec)
        return make_error(where + ": cannot read the model file: " + ec.message());

    {
        errno = 0;
        std::ifstream file(path, std::ios::binary);
        if (!file)
            return make_error(where + ": cannot open the model file: " +
                              (errno ? std::strerror(errno) : "unreadable") + " (check its permissions)");
        char magic[4] = {};
        file.read(magic, sizeof magic);
        if (file.gcount() < 4)
            return make_error(where + ": file is too short to be a GGUF model (" + std::to_string(info.file_bytes) +
                              " bytes)");
        if (std::memcmp(magic, "GGUF", 4) != 0)
            return make_error(where + ": not a GGUF model file (wrong magic bytes); os1 needs a .gguf model such as "
                                      "the ones 'os1 pull' downloads");
    }

    gguf_init_params params{/*no_alloc=*/true, /*ctx=*/nullptr};
    GgufPtr gguf(gguf_init_from_file(path.c_str(), params));
    if (!gguf)
        return make_error(where + ": the GGUF header is corrupt or truncated; download the model again");

    info.architecture = string_key(gguf.get(), "general.architecture");
    info.name = string_key(gguf.get(), "general.name");
    if (info.architecture.empty())
        return make_error(where + ": GGUF file has no general.architecture; it is not a language model");
    OS1_TRY(check_hyperparameters(gguf.get(), info.architecture, where));

    info.tensor_count = gguf_get_n_tensors(gguf.get());
    uint64_t data_end = gguf_get_data_offset(gguf.get());
    for (int64_t i = 0; i < info.tensor_count; ++i) {
        uint64_t size = gguf_get_tensor_size(gguf.get(), i);
        info.tensor_bytes += size;
        data_end = std::max<uint64_t>(data_end, gguf_get_data_offset(gguf.get()) +
                                                    gguf_get_tensor_offset(gguf.get(), i) + size);
    }
    if (info.tensor_count == 0)
        return make_error(where + ": GGUF file holds no tensors (a vocabulary-only file?); it cannot generate text");
    if (data_end > info.file_bytes)
        return make_error(where + ": model file is truncated (" + std::to_string(info.file_bytes) + " of " +
                          std::to_string(data_end) + " bytes); resume the download with 'os1 pull'");

    if (available_memory == 0)
        available_memory = available_memory_bytes();
    if (available_memory != 0 && info.tensor_bytes > available_memory)
        return make_error(where + ": model needs " + gib(info.tensor_bytes) + " of memory but only " +
                          gib(available_memory) + " is available; choose a smaller model or quantization");
    return info;
}

}  // namespace os1::llm
