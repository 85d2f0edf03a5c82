// argon2id password hashes (libsodium's crypto_pwhash_str). Each hash or verification takes
// 64 MiB at the interactive cost, so at most two run at once in the whole process; a third
// waits for one of them. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "accounts/account-store.h"
#include "core/error.h"

namespace os1::accounts {

// Initialises libsodium once per process; fails when it cannot (no usable random source).
ErrorOr<void> init_sodium();

// The self-describing hash string ("$argon2id$v=19$m=...") of `password`. Unavailable when the
// memory for it cannot be had.
ErrorOr<std::string> hash_password(std::string_view password, HashCost cost);

// True when `hash` is the hash of `password`. False also when `hash` is malformed or memory ran
// out: libsodium does not tell these apart, and none of them may let anyone in.
bool password_matches(const std::string& hash, std::string_view password);

namespace detail {
// How many hashes and verifications have run in this process, and the most that ever ran at
// once (tests check the bound, and that an unknown user costs a verification too).
uint64_t password_work_done();
int peak_concurrent_password_work();
}  // namespace detail

}  // namespace os1::accounts
