#include "affect/journal.h"

#include <cstdio>

namespace os1::affect {

namespace {

std::string signed2(double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%+.2f", x);
    return buffer;
}

std::string fixed2(double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", x);
    return buffer;
}

nlohmann::json scores_json(const RelationshipScores& s) {
    return {{"closeness", s.closeness}, {"trust", s.trust}, {"familiarity", s.familiarity}};
}

RelationshipScores scores_from(const nlohmann::json& j) {
    RelationshipScores s;
    if (!j.is_object())
        return s;
    s.closeness = j.value("closeness", 0.0);
    s.trust = j.value("trust", 0.1);
    s.familiarity = j.value("familiarity", 0.0);
    return s;
}

}  // namespace

std::optional<Emotion> DayDigest::strongest_emotion() const {
    std::optional<Emotion> best;
    double best_sum = 0.3;  // below this, no feeling stood out
    for (Emotion e : all_emotions) {
        if (emotion_sums[std::size_t(e)] > best_sum) {
            best_sum = emotion_sums[std::size_t(e)];
            best = e;
        }
    }
    return best;
}

nlohmann::json DayDigest::to_json() const {
    return {
        {"day", day},
        {"messages", messages},
        {"valence_sum", valence_sum},
        {"disclosures", disclosures},
        {"shared_moments", shared_moments},
        {"emotion_sums", emotion_sums},
        {"days_since_previous", days_since_previous},
        {"mood_label", mood_label},
        {"before", scores_json(before)},
        {"after", scores_json(after)},
    };
}

ErrorOr<DayDigest> DayDigest::from_json(const nlohmann::json& j) {
    if (!j.is_object())
        return make_error("day digest: expected a JSON object");
    DayDigest d;
    try {
        d.day = j.at("day").get<int64_t>();
        d.messages = j.at("messages").get<int64_t>();
        d.valence_sum = j.at("valence_sum").get<double>();
        d.disclosures = j.value("disclosures", int64_t(0));
        d.shared_moments = j.value("shared_moments", int64_t(0));
        if (j.contains("emotion_sums"))
            d.emotion_sums = j["emotion_sums"].get<std::array<double, emotion_count>>();
        d.days_since_previous = j.value("days_since_previous", int64_t(0));
        d.mood_label = j.value("mood_label", std::string());
    } catch (const nlohmann::json::exception& e) {
        return make_error(std::string("day digest: ") + e.what());
    }
    d.before = scores_from(j.value("before", nlohmann::json()));
    d.after = scores_from(j.value("after", nlohmann::json()));
    return d;
}

std::string_view journal_author_name(JournalAuthor author) {
    return author == JournalAuthor::model ? "model" : "summary";
}

std::string day_text(int64_t day) {
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
    return buffer;
}

std::string compose_reflection(const DayDigest& d) {
    std::string out =
        day_text(d.day) + ": " + std::to_string(d.messages) + (d.messages == 1 ? " message" : " messages");
    if (d.days_since_previous > 1)
        out += ", the first in " + std::to_string(d.days_since_previous) + " days";
    const double avg = d.average_valence();
    out += ". They seemed ";
    out += avg > 0.3 ? "in good spirits" : avg < -0.3 ? "low" : avg < -0.05 ? "a bit flat" : "even";
    out += " (average valence " + signed2(avg) + ")";
    if (auto e = d.strongest_emotion())
        out += "; the strongest feeling was " + std::string(emotion_name(*e));
    out += ".";
    if (d.disclosures > 0)
        out += " They told me about themselves " + std::to_string(d.disclosures) +
               (d.disclosures == 1 ? " time." : " times.");
    if (d.shared_moments > 0)
        out += " We shared " + std::to_string(d.shared_moments) +
               (d.shared_moments == 1 ? " good moment." : " good moments.");
    if (!d.mood_label.empty())
        out += " I ended the day " + d.mood_label + ".";
    const auto before = stage_for(d.before);
    const auto after = stage_for(d.after);
    out += " Relationship: ";
    out += before == after ? std::string(stage_name(after))
                           : std::string(stage_name(before)) + " -> " + std::string(stage_name(after));
    out += " (closeness " + fixed2(d.before.closeness) + " -> " + fixed2(d.after.closeness) + ", trust " +
           fixed2(d.before.trust) + " -> " + fixed2(d.after.trust) + ", familiarity " + fixed2(d.before.familiarity) +
           " -> " + fixed2(d.after.familiarity) + ").";
    return out;
}

}  // namespace os1::affect
