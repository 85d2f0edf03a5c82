#include "core/integrity.h"

#include "core/backup.h"
#include "core/handles.h"
#include "core/sqlite-failure.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

std::string quoted_name(const std::string& name) {
    std::string quoted = "\"";
    for (char c : name)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

ErrorOr<std::vector<std::string>> search_indexes(sqlite3* db, const fs::path& file) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                           "sql LIKE 'CREATE VIRTUAL TABLE%' AND sql LIKE '%USING fts5%' ORDER BY name",
                           -1, &raw, nullptr) != SQLITE_OK)
        return sqlite_failure(db, file.string(), "cannot list the search indexes");
    SqliteStmtPtr query(raw);
    std::vector<std::string> names;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW)
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
    if (rc != SQLITE_DONE)
        return sqlite_failure(db, file.string(), "cannot list the search indexes");
    return names;
}

// Sends FTS5 a command ('integrity-check', 'rebuild') through its special INSERT.
int run_command(sqlite3* db, const std::string& index, const char* command) {
    const std::string sql = "INSERT INTO " + quoted_name(index) + "(" + quoted_name(index) + ") VALUES ('" +
                            command + "')";
    return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
}

}  // namespace

ErrorOr<std::vector<std::string>> check_search_indexes(sqlite3* db, const fs::path& file,
                                                       SearchIndexRepair repair) {
    std::vector<std::string> rebuilt;
    for (const std::string& index : OS1_TRY(search_indexes(db, file))) {
        if (run_command(db, index, "integrity-check") == SQLITE_OK)
            continue;
        const SqliteFailureCause cause = cause_of_failure(db, file.string());
        if (cause == SqliteFailureCause::Permission && repair == SearchIndexRepair::Report)
            continue;  // a read-only connection cannot run the check; the rest of the file passed
        if (cause != SqliteFailureCause::Damage)
            return sqlite_failure(db, file.string(), "cannot check the search index " + index);
        const std::string damage = sqlite3_errmsg(db);
        if (repair == SearchIndexRepair::Report)
            return make_error(ErrorKind::Corrupt, file.string() + ": the search index " + index + " is damaged (" +
                                                      damage + "); " + restore_advice(file));
        // The rebuild reads every indexed text again from its table, which the integrity check
        // found sound, so nothing is lost; it runs as one transaction.
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
            return sqlite_failure(db, file.string(), "cannot rebuild the damaged search index " + index);
        if (run_command(db, index, "rebuild") != SQLITE_OK || run_command(db, index, "integrity-check") != SQLITE_OK) {
            Error failure = sqlite_failure(db, file.string(), "cannot rebuild the damaged search index " + index);
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            return failure;
        }
        if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
            return sqlite_failure(db, file.string(), "cannot rebuild the damaged search index " + index);
        rebuilt.push_back(index);
    }
    return rebuilt;
}

ErrorOr<void> repair_search_indexes(sqlite3* db, const fs::path& file, const Environment& env) {
    for (const std::string& index : OS1_TRY(check_search_indexes(db, file, SearchIndexRepair::Rebuild)))
        env.log(LogLevel::Warning, file.string() + ": the search index " + index +
                                       " was damaged and has been rebuilt from the stored text; nothing was lost");
    return {};
}

}  // namespace os1
