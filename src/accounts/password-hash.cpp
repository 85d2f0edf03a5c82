#include "accounts/password-hash.h"

#include <atomic>
#include <mutex>
#include <semaphore>

#include <sodium.h>

namespace os1::accounts {

namespace {

// Two at once: 128 MiB at most for a login flood, while a second login need not wait for the
// first.
std::counting_semaphore<2> password_slots(2);

std::atomic<uint64_t> work_done{0};
std::atomic<int> work_running{0};
std::atomic<int> work_peak{0};

// Holds one of the two slots for one hash or verification.
class PasswordSlot {
public:
    PasswordSlot() {
        password_slots.acquire();
        const int running = ++work_running;
        int peak = work_peak.load();
        while (running > peak && !work_peak.compare_exchange_weak(peak, running)) {
        }
        ++work_done;
    }
    ~PasswordSlot() {
        --work_running;
        password_slots.release();
    }
    PasswordSlot(const PasswordSlot&) = delete;
    PasswordSlot& operator=(const PasswordSlot&) = delete;
};

unsigned long long opslimit(HashCost cost) {
    return cost == HashCost::Interactive ? crypto_pwhash_OPSLIMIT_INTERACTIVE : crypto_pwhash_OPSLIMIT_MIN;
}

size_t memlimit(HashCost cost) {
    return cost == HashCost::Interactive ? crypto_pwhash_MEMLIMIT_INTERACTIVE : crypto_pwhash_MEMLIMIT_MIN;
}

}  // namespace

ErrorOr<void> init_sodium() {
    static std::once_flag once;
    static int result = 0;
    std::call_once(once, [] { result = sodium_init(); });
    if (result < 0)
        return make_error(ErrorKind::Unavailable,
                          "libsodium: cannot initialise (no usable random source); check that /dev/urandom is "
                          "readable, or reinstall libsodium");
    return {};
}

ErrorOr<std::string> hash_password(std::string_view password, HashCost cost) {
    char hash[crypto_pwhash_STRBYTES];
    int rc = 0;
    {
        PasswordSlot slot;
        rc = crypto_pwhash_str_alg(hash, password.data(), password.size(), opslimit(cost), memlimit(cost),
                                   crypto_pwhash_ALG_ARGON2ID13);
    }
    if (rc != 0)
        return make_error(ErrorKind::Unavailable,
                          "cannot hash the password: not enough memory (argon2id needs 64 MiB); try again later");
    return std::string(hash);
}

bool password_matches(const std::string& hash, std::string_view password) {
    PasswordSlot slot;
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

namespace detail {

uint64_t password_work_done() {
    return work_done.load();
}
int peak_concurrent_password_work() {
    return work_peak.load();
}

}  // namespace detail

}  // namespace os1::accounts
