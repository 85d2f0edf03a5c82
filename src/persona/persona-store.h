// Per-user persona storage in os1.db (component "persona"): the active card and the onboarding
// state with the name the companion chose. Not thread-safe: one store per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "core/database.h"
#include "core/environment.h"
#include "persona/card.h"
#include "persona/onboarding.h"

namespace os1::persona {

class PersonaStore {
public:
    // Opens <user_dir>/os1.db and migrates the persona tables (see Database::open for what
    // `env` is used for).
    static ErrorOr<PersonaStore> open(const std::filesystem::path& user_dir, const Environment& env = {});
    // Migrates the persona tables in an open database.
    static ErrorOr<PersonaStore> attach(Database db);

    // The stored card, or the built-in default when none was imported.
    ErrorOr<CharacterCard> card();
    ErrorOr<bool> has_custom_card();
    ErrorOr<void> save_card(const CharacterCard& card, int64_t now);

    ErrorOr<std::optional<Onboarding>> onboarding();
    ErrorOr<void> save_onboarding(const Onboarding& onboarding, int64_t now);

    Database& database() { return m_db; }

private:
    explicit PersonaStore(Database db) : m_db(std::move(db)) {}
    Database m_db;
};

}  // namespace os1::persona
