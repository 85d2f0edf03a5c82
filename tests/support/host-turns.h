// Helpers for tests of the companion host: reading a Turn to its end, and what a user's latest
// conversation holds on disk.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "companion/turn.h"
#include "memory/conversation-store.h"

namespace os1::test {

// Reads `turn` to its last event; returns the text it delivered and sets `end` to Done or Failed.
inline std::string read_turn(companion::Turn& turn, companion::TurnEvent& end) {
    std::string text;
    for (;;) {
        companion::TurnEvent event = turn.next();
        if (event.kind == companion::TurnEvent::Kind::Text)
            text += event.text;
        if (event.kind == companion::TurnEvent::Kind::Done || event.kind == companion::TurnEvent::Kind::Failed) {
            end = std::move(event);
            return text;
        }
    }
}

// The stored turns of `user`'s most recent conversation under `home`; empty when there is none.
inline std::vector<memory::Turn> latest_turns(const std::filesystem::path& home, const std::string& user) {
    auto store = memory::ConversationStore::open(home / "users" / user);
    if (!store)
        return {};
    auto latest = store->latest_conversation();
    if (!latest || !latest.value())
        return {};
    return store->turns(latest.value()->id).value();
}

}  // namespace os1::test
