// What a handler may reach: the authenticated user's companion and nothing else. The router
// builds it from the name that authentication produced; handlers never see the host, so no
// request input (an id, a path, a user name in a body) can lead to another user's stores.
#pragma once

#include <optional>
#include <string>

#include "companion/host.h"

namespace os1::server {

class UserScope {
public:
    UserScope(companion::CompanionHost& host, std::string user) : m_host(host), m_user(std::move(user)) {}

    const std::string& user() const { return m_user; }

    // One of this user's conversations. A request holds its handle only while it runs, so the
    // server opens them with KeepCache::No: the engine keeps each conversation's cache in memory
    // between requests, and no request writes the whole cache to disk when it ends.
    ErrorOr<companion::Conversation> open(const companion::OpenOptions& options) { return m_host.open(m_user, options); }

    // This user's companion outside a conversation, opened on first use.
    ErrorOr<companion::UserHandle*> companion() {
        if (!m_handle)
            m_handle.emplace(OS1_TRY(m_host.user(m_user)));
        return &*m_handle;
    }

private:
    companion::CompanionHost& m_host;
    const std::string m_user;
    std::optional<companion::UserHandle> m_handle;
};

}  // namespace os1::server
