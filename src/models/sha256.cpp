// SHA-256 of a file, with libsodium's implementation.
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include <sodium.h>

#include "core/handles.h"
#include "models/models.h"

namespace os1::models {

ErrorOr<std::string> sha256_file(const std::filesystem::path& path) {
    static std::once_flag once;
    static int init_result = 0;
    std::call_once(once, [] { init_result = sodium_init(); });
    if (init_result < 0)
        return make_error("libsodium: cannot initialise; reinstall libsodium");

    FilePtr file(std::fopen(path.c_str(), "rb"));
    if (!file)
        return make_error(path.string() + ": cannot open to verify its checksum: " + std::strerror(errno));
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<unsigned char> buffer(1u << 20);
    while (size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get()))
        crypto_hash_sha256_update(&state, buffer.data(), n);
    if (std::ferror(file.get()))
        return make_error(path.string() + ": read error while verifying its checksum: " + std::strerror(errno));
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
}

}  // namespace os1::models
