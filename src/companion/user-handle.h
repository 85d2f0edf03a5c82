// One user's companion as a whole, for what is not a conversation: their memories, persona,
// feelings and journal, as the server's companion API and similar front ends reach them. It is
// the same Companion that replies use, so no front end works on a stale copy.
//
// Thread-safe. A UserHandle keeps its user loaded and must not outlive the CompanionHost.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "companion/companion.h"
#include "core/error.h"
#include "memory/memory.h"

namespace os1::companion {

struct UserSession;
struct HostCore;

class UserHandle {
public:
    UserHandle(UserHandle&&) noexcept;
    UserHandle& operator=(UserHandle&&) noexcept;
    ~UserHandle();

    const std::string& name() const;

    // Runs `work` on the user's companion with the user's strand held: keep it short (reads and
    // writes of the user's stores, no model work).
    void with(const std::function<void(Companion&)>& work);

    // Forgets memory `id` (and what forgetting removes with it, the engine's caches included);
    // false when there is none.
    ErrorOr<bool> forget(int64_t id);
    // Forgets everything the user said and what was learned from it; the companion's own
    // persona and name stay.
    ErrorOr<memory::ForgetReport> forget_all();

private:
    friend class CompanionHost;
    UserHandle(std::shared_ptr<HostCore> core, std::shared_ptr<UserSession> user);
    void release();
    std::shared_ptr<HostCore> m_core;
    std::shared_ptr<UserSession> m_user;
};

}  // namespace os1::companion
