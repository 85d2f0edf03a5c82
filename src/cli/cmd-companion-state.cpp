// `os1 mood`, `os1 relationship` and `os1 journal`: what the companion feels, how it stands with
// a user, and what it wrote about their days, read from the user's os1.db.
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "affect/companion-state.h"
#include "cli/commands.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "cli/user-dir.h"
#include "core/paths.h"
#include "persona/persona.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;

struct StateArgs {
    std::string user = "default";
    bool json = false;
    int64_t limit = 10;
};

double rounded(double x) {
    return std::round(x * 1000.0) / 1000.0;
}

std::string time_text(affect::Timestamp t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point(t));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
    return buffer;
}

// The user's companion state, with the personality baseline from the user's persona card, on
// this process's clock and zone (the mood fades and days end as of OS1_NOW when it is set). These
// commands only read how things stand, so a user who never talked to os1 is an error, not a new
// empty user (a typo in --user would otherwise look like a companion with no history).
struct UserState {
    affect::CompanionState feelings;
    std::string companion_name;  // chosen at onboarding, else the persona card's
};

ErrorOr<UserState> open_state(const GlobalOptions& global, const std::string& user) {
    const fs::path user_dir = OS1_TRY(user_dir_for(global, user));
    const fs::path users = user_dir.parent_path();
    std::error_code error;
    if (!fs::exists(user_dir / "os1.db", error))
        return make_error("no user \"" + user + "\" in " + users.string() + "; start with `os1 chat --user " + user +
                          "` (or check --user and --home)");
    OS1_TRY(ensure_writable_dir(user_dir));
    const Environment env = terminal_environment();
    auto store = OS1_TRY(persona::PersonaStore::open(user_dir, env));
    const persona::CharacterCard card = OS1_TRY(store.card());
    auto baseline = persona::big_five_baseline(card);
    if (baseline.is_error())
        return make_error("persona card: " + baseline.error().message);
    const std::optional<persona::Onboarding> onboarding = OS1_TRY(store.onboarding());
    std::string name = onboarding && onboarding->name() ? onboarding->name()->name : card.name;
    return UserState{OS1_TRY(affect::CompanionState::attach(std::move(store.database()), baseline.value(), env)),
                     std::move(name)};
}

int fail(const char* command, const std::string& message) {
    std::fprintf(stderr, "os1 %s: %s\n", command, terminal_text(message).c_str());
    return 1;
}

int run_mood(const StateArgs& args, const GlobalOptions& global) {
    auto opened = open_state(global, args.user);
    if (opened.is_error())
        return fail("mood", opened.error().message);
    affect::CompanionState* state = &opened->feelings;
    const affect::Pad pad = state->mood_now();
    const auto sampling = state->sampling();
    const auto prosody = state->prosody();
    const std::string line = affect::mood_prompt_line(pad, state->mood_cause());
    const std::string report = affect::mood_report_line(opened->companion_name, pad, state->mood_cause_for_user());
    auto model_appraisals = state->model_appraisals(1);
    if (model_appraisals.is_error())
        return fail("mood", model_appraisals.error().message);
    const affect::ModelAppraisalRecord* last_model = model_appraisals->empty() ? nullptr : &model_appraisals->front();
    if (args.json) {
        nlohmann::ordered_json out = {
            {"label", affect::mood_label_name(affect::label_for(pad))},
            {"pleasure", rounded(pad.pleasure)},
            {"arousal", rounded(pad.arousal)},
            {"dominance", rounded(pad.dominance)},
            {"cause", state->mood_cause()},
            {"report", report},
            {"prompt_line", line},
            {"sampling",
             {{"temperature_delta", rounded(sampling.temperature_delta)},
              {"top_p_delta", rounded(sampling.top_p_delta)}}},
            {"prosody",
             {{"rate", rounded(prosody.rate)},
              {"pitch_semitones", rounded(prosody.pitch_semitones)},
              {"volume", rounded(prosody.volume)}}},
            {"model_appraisal",
             last_model ? nlohmann::ordered_json{{"status", last_model->status},
                                                 {"message_at_ms", last_model->message_at.time_since_epoch().count()},
                                                 {"pleasure_delta", rounded(last_model->mood_delta.pleasure)},
                                                 {"arousal_delta", rounded(last_model->mood_delta.arousal)},
                                                 {"dominance_delta", rounded(last_model->mood_delta.dominance)},
                                                 {"note", last_model->note}}
                        : nlohmann::ordered_json()},
        };
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    // The report names the companion, and the model wrote the note: stored text, printed safely.
    std::printf("%s\n", terminal_text(report, Newlines::Keep).c_str());
    std::printf("pleasure %+.2f  arousal %+.2f  dominance %+.2f\n", pad.pleasure, pad.arousal, pad.dominance);
    std::printf("sampling: temperature %+.2f, top-p %+.2f\n", sampling.temperature_delta, sampling.top_p_delta);
    std::printf("voice: rate x%.2f, pitch %+.1f semitones, volume x%.2f\n", prosody.rate, prosody.pitch_semitones,
                prosody.volume);
    if (last_model)
        std::printf("model's last appraisal: %s (%s)\n", terminal_text(last_model->status).c_str(),
                    terminal_text(last_model->note).c_str());
    return 0;
}

int run_relationship(const StateArgs& args, const GlobalOptions& global) {
    auto opened = open_state(global, args.user);
    if (opened.is_error())
        return fail("relationship", opened.error().message);
    affect::CompanionState* state = &opened->feelings;
    const affect::Relationship r = state->relationship_now();
    const auto& s = r.scores();
    const auto noticed = state->noticed();
    if (args.json) {
        nlohmann::ordered_json traits = nlohmann::ordered_json::object();
        for (affect::Trait t : affect::all_traits)
            traits[std::string(affect::trait_name(t))] = {{"baseline", rounded(state->personality().baseline()[t])},
                                                          {"current", rounded(state->personality().current()[t])}};
        nlohmann::ordered_json out = {
            {"stage", affect::stage_name(r.stage())},
            {"closeness", rounded(s.closeness)},
            {"trust", rounded(s.trust)},
            {"familiarity", rounded(s.familiarity)},
            {"days_of_contact", r.days_of_contact()},
            {"messages", r.messages()},
            {"last_contact_ms", r.messages() ? nlohmann::ordered_json(r.last_contact().time_since_epoch().count())
                                             : nlohmann::ordered_json()},
            {"tone", r.prompt_fragment()},
            {"noticed", noticed ? nlohmann::ordered_json(*noticed) : nlohmann::ordered_json()},
            {"personality", traits},
        };
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf("%s: closeness %.2f, trust %.2f, familiarity %.2f\n",
                std::string(affect::stage_name(r.stage())).c_str(), s.closeness, s.trust, s.familiarity);
    if (r.messages())
        std::printf("%lld messages over %lld days; last contact %s\n", (long long)r.messages(),
                    (long long)r.days_of_contact(), time_text(r.last_contact()).c_str());
    else
        std::printf("no conversations yet\n");
    std::printf("tone: %s\n", terminal_text(r.prompt_fragment(), Newlines::Keep).c_str());
    if (noticed)
        std::printf("noticed: %s\n", terminal_text(*noticed, Newlines::Keep).c_str());
    std::printf("%s\n", terminal_text(state->personality().prompt_fragment(), Newlines::Keep).c_str());
    return 0;
}

int run_journal(const StateArgs& args, const GlobalOptions& global) {
    auto opened = open_state(global, args.user);
    if (opened.is_error())
        return fail("journal", opened.error().message);
    affect::CompanionState* state = &opened->feelings;
    // A finished day that was never reflected on gets its entry now.
    if (auto reflected = state->reflect_if_due(); reflected.is_error())
        return fail("journal", reflected.error().message);
    auto entries = state->journal(args.limit);
    if (entries.is_error())
        return fail("journal", entries.error().message);
    auto changes = state->changes(100000);
    if (changes.is_error())
        return fail("journal", changes.error().message);

    auto changes_for = [&](int64_t entry) {
        std::vector<const affect::ChangeRecord*> out;
        for (const auto& c : changes.value()) {
            if (c.journal_entry == entry)
                out.push_back(&c);
        }
        return out;
    };

    if (args.json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& e : entries.value()) {
            nlohmann::ordered_json cited = nlohmann::ordered_json::array();
            for (const auto* c : changes_for(e.id))
                cited.push_back({{"id", c->id},
                                 {"kind", c->kind},
                                 {"what", c->what},
                                 {"from", c->from},
                                 {"to", c->to},
                                 {"reason", c->reason}});
            out.push_back({{"id", e.id},
                           {"day", affect::day_text(e.day)},
                           {"written_at_ms", e.at.time_since_epoch().count()},
                           {"text", e.text},
                           {"author", affect::journal_author_name(e.author)},
                           {"summary", e.summary},
                           {"writer_note", e.writer_note},
                           {"changes", cited}});
        }
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    if (entries->empty()) {
        std::printf("the journal is empty: entries are written after each day of conversation\n");
        return 0;
    }
    for (const auto& e : entries.value()) {
        // Entries quote the conversation and the model: stored text, printed safely.
        std::printf("#%lld %s%s\n  %s\n", (long long)e.id, affect::day_text(e.day).c_str(),
                    e.author == affect::JournalAuthor::model ? " (written by the model)" : "",
                    terminal_text(e.text, Newlines::Keep).c_str());
        if (e.author == affect::JournalAuthor::model)
            std::printf("  summary: %s\n", terminal_text(e.summary, Newlines::Keep).c_str());
        for (const auto* c : changes_for(e.id))
            std::printf("  - %s %s: %s -> %s (%s)\n", terminal_text(c->kind).c_str(), terminal_text(c->what).c_str(),
                        terminal_text(c->from).c_str(), terminal_text(c->to).c_str(), terminal_text(c->reason).c_str());
    }
    return 0;
}

void add_common(CLI::App& command, const std::shared_ptr<StateArgs>& args) {
    command.add_option("--user", args->user, "Whose companion state (each user has their own)")->default_val("default");
    command.add_flag("--json", args->json, "Print JSON");
}

}  // namespace

void register_mood(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<StateArgs>();
    CLI::App* mood =
        app.add_subcommand("mood", "The companion's mood now (PAD), why, and how it shapes its sampling and voice");
    add_common(*mood, args);
    mood->callback([args, &global, &exit_code] { exit_code = run_mood(*args, global); });
}

void register_relationship(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<StateArgs>();
    CLI::App* relationship = app.add_subcommand(
        "relationship", "How the companion stands with you: stage, closeness, trust, familiarity, personality");
    add_common(*relationship, args);
    relationship->callback([args, &global, &exit_code] { exit_code = run_relationship(*args, global); });
}

void register_journal(CLI::App& app, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<StateArgs>();
    CLI::App* journal = app.add_subcommand(
        "journal", "The companion's journal: one reflection per day of conversation, with the changes it caused");
    add_common(*journal, args);
    journal->add_option("--limit", args->limit, "How many entries, newest first")
        ->default_val(10)
        ->check(CLI::PositiveNumber);
    journal->callback([args, &global, &exit_code] { exit_code = run_journal(*args, global); });
}

}  // namespace os1::cli
