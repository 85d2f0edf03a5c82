// The random secrets behind tokens, sessions and CSRF checks: 256 bits from libsodium's CSPRNG,
// written as 43 base64url characters (no padding), and the SHA-256 digests they are stored as.
// Needs init_sodium() first. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace os1::accounts {

// 32 random bytes as base64url text.
std::string random_secret();

// True when `text` is exactly what random_secret() makes: 43 base64url characters that decode
// to 32 bytes.
bool is_secret_text(std::string_view text);

// SHA-256 of `text`, 32 raw bytes.
std::string secret_digest(std::string_view text);

// Compares two digests in time that depends on their length only.
bool digests_equal(std::string_view a, std::string_view b);

}  // namespace os1::accounts
