#include "companion/user-handle.h"

#include "companion/forgetting.h"
#include "companion/host-core.h"
#include "companion/user-session.h"

namespace os1::companion {

UserHandle::UserHandle(std::shared_ptr<HostCore> core, std::shared_ptr<UserSession> user)
    : m_core(std::move(core)), m_user(std::move(user)) {}

UserHandle::UserHandle(UserHandle&&) noexcept = default;

UserHandle& UserHandle::operator=(UserHandle&& other) noexcept {
    if (this != &other) {
        release();
        m_core = std::move(other.m_core);
        m_user = std::move(other.m_user);
    }
    return *this;
}

UserHandle::~UserHandle() { release(); }

void UserHandle::release() {
    if (!m_user)
        return;
    m_core->touch(*m_user);
    --m_user->handles;
    m_user.reset();
    m_core.reset();
}

const std::string& UserHandle::name() const {
    return m_user->name;
}

void UserHandle::with(const std::function<void(Companion&)>& work) {
    std::lock_guard strand(m_user->strand);
    work(*m_user->companion);
}

ErrorOr<bool> UserHandle::forget(int64_t id) {
    std::lock_guard strand(m_user->strand);
    return forget_memory(*m_core, *m_user, id);
}

ErrorOr<memory::ForgetReport> UserHandle::forget_all() {
    std::lock_guard strand(m_user->strand);
    return forget_everything(*m_core, *m_user);
}

}  // namespace os1::companion
