#include "persona/persona-store.h"

namespace os1::persona {

namespace {

const std::vector<Database::Migration> migrations = {
    {1, R"sql(
        CREATE TABLE persona_card (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            card_json  TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE persona_onboarding (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            state_json TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
    )sql"},
};

}  // namespace

ErrorOr<PersonaStore> PersonaStore::open(const std::filesystem::path& user_dir, const Environment& env) {
    return attach(OS1_TRY(Database::open(user_dir / "os1.db", env)));
}

ErrorOr<PersonaStore> PersonaStore::attach(Database db) {
    OS1_TRY(db.migrate("persona", migrations));
    return PersonaStore(std::move(db));
}

ErrorOr<bool> PersonaStore::has_custom_card() {
    auto query = OS1_TRY(m_db.prepare("SELECT 1 FROM persona_card WHERE id = 1"));
    return OS1_TRY(query.step());
}

ErrorOr<CharacterCard> PersonaStore::card() {
    auto query = OS1_TRY(m_db.prepare("SELECT card_json FROM persona_card WHERE id = 1"));
    if (!OS1_TRY(query.step()))
        return default_card();
    return parse_card_json(query.column_text(0), m_db.path().string() + ": persona_card");
}

ErrorOr<void> PersonaStore::save_card(const CharacterCard& card, int64_t now) {
    auto upsert = OS1_TRY(
        m_db.prepare("INSERT INTO persona_card (id, card_json, updated_at) VALUES (1, ?, ?) "
                     "ON CONFLICT(id) DO UPDATE SET card_json = excluded.card_json, updated_at = excluded.updated_at"));
    return upsert.bind(1, card_to_json(card)).bind(2, now).run();
}

ErrorOr<std::optional<Onboarding>> PersonaStore::onboarding() {
    auto query = OS1_TRY(m_db.prepare("SELECT state_json FROM persona_onboarding WHERE id = 1"));
    if (!OS1_TRY(query.step()))
        return std::optional<Onboarding>();
    auto state = Onboarding::from_json(query.column_text(0));
    if (state.is_error())
        return make_error(m_db.path().string() + ": " + state.error().message);
    return std::optional<Onboarding>(state.release_value());
}

ErrorOr<void> PersonaStore::save_onboarding(const Onboarding& onboarding, int64_t now) {
    auto upsert = OS1_TRY(m_db.prepare(
        "INSERT INTO persona_onboarding (id, state_json, updated_at) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at"));
    return upsert.bind(1, onboarding.to_json()).bind(2, now).run();
}

}  // namespace os1::persona
