#include "companion/learning.h"

#include "companion/journal-writer.h"
#include "companion/model-appraiser.h"
#include "companion/user-session.h"

namespace os1::companion {

namespace {

// The connections learning uses, opened on first use and kept for the user's next jobs.
ErrorOr<void> open_learning_connections(UserSession& user) {
    const Companion& companion = *user.companion;  // options and environment never change
    if (!user.learning_memory) {
        auto store = OS1_TRY(memory::MemoryStore::open(user.dir, companion.environment()));
        if (companion.options().embedder)
            OS1_TRY(store.set_embedder(companion.options().embedder));
        user.learning_memory.emplace(std::move(store));
    }
    if (!user.learning_db)
        user.learning_db.emplace(OS1_TRY(Database::open(user.dir / "os1.db", companion.environment())));
    return {};
}

// The model's appraisal of the user's message, taken in by the live state under its strand.
ErrorOr<void> appraise(llm::Backend& backend, UserSession& user, const LearningJob& job) {
    auto appraisal = appraise_with_model(backend, job.user_text);
    std::lock_guard lock(user.strand);
    affect::CompanionState& feelings = user.companion->feelings();
    if (appraisal.is_error())
        return feelings.record_model_appraisal_rejection(job.message_at, appraisal.error().message);
    OS1_TRY(feelings.apply_model_appraisal(job.message_at, appraisal.value()));
    return {};
}

}  // namespace

ErrorOr<void> learn_from_exchange(llm::Backend& backend, UserSession& user, const LearningJob& job) {
    const Companion& companion = *user.companion;
    const Environment& env = companion.environment();
    std::string failures;
    auto note = [&](const char* step, const ErrorOr<void>& result) {
        if (!result.is_error())
            return;
        failures += std::string(failures.empty() ? "" : "; ") + step + ": " + result.error().message;
    };

    if (!job.user_text.empty())
        note("appraisal", appraise(backend, user, job));

    std::lock_guard lock(user.learning);
    if (auto opened = open_learning_connections(user); opened.is_error())
        return make_error(opened.error().kind, "learning for " + user.name + ": " + opened.error().message);

    // Facts first: what the user tells of an earlier day ("yesterday I ...") is dated to that day
    // in their zone, and the journal entry still waiting for that day then includes it.
    if (!job.exchange.empty()) {
        auto facts = memory::extract_facts(backend, *user.learning_memory, job.exchange, job.instructions,
                                           env.now_seconds(), env.zone);
        note("facts", facts.is_error() ? ErrorOr<void>(facts.error()) : ErrorOr<void>());
        if (facts && !facts->rejected.empty())
            env.log(LogLevel::Debug, user.name + ": " + std::to_string(facts->rejected.size()) +
                                         " extracted items rejected, first: " + facts->rejected.front());
    }

    auto journal = write_waiting_journal_entries(backend, *user.learning_db, env.zone, job.companion_name);
    note("journal", journal.is_error() ? ErrorOr<void>(journal.error()) : ErrorOr<void>());

    if (!job.exchange.empty()) {
        memory::ReflectionOptions reflection;
        reflection.threshold = companion.options().reflection_threshold;
        auto reflected =
            memory::reflect_if_due(backend, *user.learning_memory, job.instructions, env.now_seconds(), reflection);
        if (reflected.is_error())
            note("reflection", ErrorOr<void>(reflected.error()));
        else if (reflected->failed)
            note("reflection", make_error(reflected->rejected.back()));
    }
    if (!failures.empty())
        return make_error("learning for " + user.name + ": " + failures);
    return {};
}

}  // namespace os1::companion
