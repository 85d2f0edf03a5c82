#include "llm/model-check.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

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
    if (fs::is_directory(path, ec))
        return make_error(where + ": is a folder, not a GGUF model file");
    ModelFileInfo info;
    info.file_bytes = fs::file_size(path, ec);
    if (ec)
        return make_error(where + ": cannot read the model file: " + ec.message());

    {
        std::ifstream file(path, std::ios::binary);
        if (!file)
            return make_error(where + ": cannot open the model file: " + std::strerror(errno));
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
