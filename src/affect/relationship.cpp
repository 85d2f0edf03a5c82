// Growth per message is a fraction of the remaining headroom (so scores approach 1 without
// passing it), scaled down for each further message on the same day: a month of daily chats
// builds more than one marathon evening. Fading is exponential after the grace period.
#include "affect/relationship.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace os1::affect {

namespace {

constexpr double familiarity_rate = 0.02;
constexpr double closeness_rate = 0.015;
constexpr double trust_rate = 0.015;

std::string lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::size_t count_of(const std::string& haystack, std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
        ++n;
    return n;
}

double fade_factor(std::chrono::milliseconds elapsed, std::chrono::milliseconds half_life) {
    return std::exp2(-std::chrono::duration<double>(elapsed).count() /
                     std::chrono::duration<double>(half_life).count());
}

double unit(const nlohmann::json& j, const char* key, double fallback) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return fallback;
    return std::clamp(it->get<double>(), 0.0, 1.0);
}

}  // namespace

std::string_view stage_name(RelationshipStage stage) {
    switch (stage) {
        case RelationshipStage::fresh:
            return "new";
        case RelationshipStage::acquainted:
            return "acquainted";
        case RelationshipStage::friends:
            return "friends";
        case RelationshipStage::close:
            return "close";
    }
    return "new";
}

RelationshipStage stage_for(const RelationshipScores& s) {
    if (s.familiarity >= 0.7 && s.closeness >= 0.65 && s.trust >= 0.6)
        return RelationshipStage::close;
    if (s.familiarity >= 0.45 && s.closeness >= 0.35 && s.trust >= 0.3)
        return RelationshipStage::friends;
    if (s.familiarity >= 0.2)
        return RelationshipStage::acquainted;
    return RelationshipStage::fresh;
}

InteractionSignals signals_for(std::string_view text, const Appraisal& appraisal) {
    // Built by appending: GCC 12 warns falsely (-Wrestrict) about " " + std::string&&.
    std::string t = " ";
    t += lowered(text);
    t += ' ';
    static constexpr std::array<std::string_view, 12> confiding = {
        "i feel",  "i'm feeling", "i've never told", "to be honest", "honestly",   "i'm afraid",
        "i worry", "my family",   "my mom",          "my dad",       "i'm scared", "i struggle",
    };
    double disclosure = 0.0;
    for (std::string_view cue : confiding) {
        if (t.find(cue) != std::string::npos)
            disclosure += 0.35;
    }
    const std::size_t first_person =
        count_of(t, " i ") + count_of(t, " i'm ") + count_of(t, " my ") + count_of(t, " me ");
    disclosure += 0.08 * double(first_person);
    const EmotionScores& e = appraisal.emotions;
    const bool laughter = t.find("haha") != std::string::npos || t.find("lol") != std::string::npos;
    InteractionSignals out;
    out.valence = std::isfinite(appraisal.valence) ? std::clamp(appraisal.valence, -1.0, 1.0) : 0.0;
    out.self_disclosure = std::clamp(disclosure, 0.0, 1.0);
    out.shared_moment =
        laughter || e[Emotion::joy] >= 0.5 || e[Emotion::gratitude] >= 0.5 || e[Emotion::affection] >= 0.5;
    return out;
}

void Relationship::fade_to(Timestamp now) {
    const Timestamp fade_start = m_last_contact + m_config.grace;
    const Timestamp from = std::max(fade_start, m_faded_until);
    if (now <= from)
        return;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - from);
    m_scores.closeness *= fade_factor(elapsed, m_config.closeness_half_life);
    m_scores.trust *= fade_factor(elapsed, m_config.trust_half_life);
    m_scores.familiarity *= fade_factor(elapsed, m_config.familiarity_half_life);
    m_faded_until = now;
}

void Relationship::record(const InteractionSignals& signals, Timestamp now, int64_t day) {
    fade_to(now);
    if (day != m_day) {
        m_day = day;
        m_messages_today = 0;
        ++m_days_of_contact;
    }
    const double frequency = 1.0 / (1.0 + 0.5 * double(m_messages_today));
    ++m_messages_today;
    ++m_messages;

    const double valence = std::isfinite(signals.valence) ? std::clamp(signals.valence, -1.0, 1.0) : 0.0;
    const double disclosure =
        std::isfinite(signals.self_disclosure) ? std::clamp(signals.self_disclosure, 0.0, 1.0) : 0.0;
    RelationshipScores& s = m_scores;

    s.familiarity += familiarity_rate * frequency * (1.0 - s.familiarity);

    const double warmth = 0.6 * valence + 0.5 * disclosure + (signals.shared_moment ? 0.4 : 0.0);
    if (warmth >= 0)
        s.closeness += closeness_rate * frequency * std::min(warmth, 1.0) * (1.0 - s.closeness);
    else
        s.closeness += closeness_rate * frequency * std::max(warmth, -1.0) * s.closeness;

    const double confidence = 0.6 * disclosure + 0.4 * std::max(valence, 0.0) + (signals.shared_moment ? 0.2 : 0.0);
    s.trust += trust_rate * frequency * std::min(confidence, 1.0) * (1.0 - s.trust);
    const double hostility = std::max(0.0, -valence - 0.4);
    s.trust -= 4.0 * trust_rate * frequency * hostility * s.trust;

    s.closeness = std::clamp(s.closeness, 0.0, 1.0);
    s.trust = std::clamp(s.trust, 0.0, 1.0);
    s.familiarity = std::clamp(s.familiarity, 0.0, 1.0);
    if (now > m_last_contact)
        m_last_contact = now;
    m_faded_until = std::max(m_faded_until, m_last_contact);
}

std::string Relationship::prompt_fragment() const {
    switch (stage()) {
        case RelationshipStage::fresh:
            return "You have only just met. Be friendly and curious, a little careful; ask rather than assume, and "
                   "do not act more familiar than you are.";
        case RelationshipStage::acquainted:
            return "You know each other a little. Be relaxed and warm, remember what they have told you, and let "
                   "some of your own personality show.";
        case RelationshipStage::friends:
            return "You are friends. Be easy-going and candid: tease gently, bring up shared history, and say what "
                   "you really think.";
        case RelationshipStage::close:
            return "You are close. Be open and affectionate, frank when it matters; you can talk about anything and "
                   "you notice when something is off.";
    }
    return {};
}

nlohmann::json Relationship::to_json() const {
    return {
        {"closeness", m_scores.closeness},
        {"trust", m_scores.trust},
        {"familiarity", m_scores.familiarity},
        {"stage", stage_name(stage())},
        {"last_contact_ms", m_last_contact.time_since_epoch().count()},
        {"faded_until_ms", m_faded_until.time_since_epoch().count()},
        {"day", m_day},
        {"messages_today", m_messages_today},
        {"days_of_contact", m_days_of_contact},
        {"messages", m_messages},
    };
}

ErrorOr<Relationship> Relationship::from_json(const nlohmann::json& j, RelationshipConfig config) {
    if (!j.is_object())
        return make_error("relationship: expected a JSON object");
    for (const char* key :
         {"last_contact_ms", "faded_until_ms", "day", "messages_today", "days_of_contact", "messages"}) {
        if (!j.contains(key) || !j[key].is_number_integer())
            return make_error(std::string("relationship: \"") + key + "\" is missing or not an integer");
    }
    Relationship r(Timestamp(std::chrono::milliseconds(j["last_contact_ms"].get<int64_t>())), config);
    r.m_faded_until = Timestamp(std::chrono::milliseconds(j["faded_until_ms"].get<int64_t>()));
    r.m_scores = {unit(j, "closeness", 0.0), unit(j, "trust", 0.1), unit(j, "familiarity", 0.0)};
    r.m_day = j["day"].get<int64_t>();
    r.m_messages_today = j["messages_today"].get<int64_t>();
    r.m_days_of_contact = j["days_of_contact"].get<int64_t>();
    r.m_messages = j["messages"].get<int64_t>();
    return r;
}

}  // namespace os1::affect
