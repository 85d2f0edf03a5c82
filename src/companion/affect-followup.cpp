#include "companion/affect-followup.h"

#include "companion/journal-writer.h"
#include "companion/model-appraiser.h"

namespace os1::companion {

void AffectFollowUp::run(llm::Backend& backend, const std::filesystem::path& user_dir, const Job& job) {
    Outcome outcome{job.message_at, std::nullopt, {}};
    auto appraisal = appraise_with_model(backend, job.text);
    if (appraisal.is_error())
        outcome.rejection = appraisal.error().message;
    else
        outcome.appraisal = appraisal.release_value();
    {
        std::lock_guard lock(m_mutex);
        m_outcome = std::move(outcome);
    }

    // A failure here only leaves the structured summary as the entry; it is noted on the entry
    // when the model was asked.
    auto db = Database::open(user_dir / "os1.db");
    if (db.is_error())
        return;
    (void)write_waiting_journal_entries(backend, db.value(), job.zone, job.companion_name);
}

ErrorOr<void> AffectFollowUp::apply(affect::CompanionState& feelings) {
    std::optional<Outcome> outcome;
    {
        std::lock_guard lock(m_mutex);
        outcome.swap(m_outcome);
    }
    if (!outcome)
        return {};
    if (!outcome->appraisal)
        return feelings.record_model_appraisal_rejection(outcome->message_at, outcome->rejection);
    OS1_TRY(feelings.apply_model_appraisal(outcome->message_at, *outcome->appraisal));
    return {};
}

}  // namespace os1::companion
