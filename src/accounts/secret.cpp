#include "accounts/secret.h"

#include <sodium.h>

namespace os1::accounts {

namespace {

constexpr size_t secret_bytes = 32;
constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr size_t secret_text_length = sodium_base64_ENCODED_LEN(secret_bytes, variant) - 1;  // less the NUL

}  // namespace

std::string random_secret() {
    unsigned char bytes[secret_bytes];
    randombytes_buf(bytes, sizeof bytes);
    char text[secret_text_length + 1];
    sodium_bin2base64(text, sizeof text, bytes, sizeof bytes, variant);
    sodium_memzero(bytes, sizeof bytes);
    return std::string(text, secret_text_length);
}

bool is_secret_text(std::string_view text) {
    if (text.size() != secret_text_length)
        return false;
    unsigned char bytes[secret_bytes];
    size_t decoded = 0;
    const char* end = nullptr;
    const int rc = sodium_base642bin(bytes, sizeof bytes, text.data(), text.size(), nullptr, &decoded, &end, variant);
    sodium_memzero(bytes, sizeof bytes);
    return rc == 0 && decoded == secret_bytes && end == text.data() + text.size();
}

std::string secret_digest(std::string_view text) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

bool digests_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace os1::accounts
