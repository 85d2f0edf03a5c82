#include "affect/personality.h"

#include <algorithm>
#include <cmath>

namespace os1::affect {

std::string_view trait_name(Trait trait) {
    switch (trait) {
        case Trait::openness:
            return "openness";
        case Trait::conscientiousness:
            return "conscientiousness";
        case Trait::extraversion:
            return "extraversion";
        case Trait::agreeableness:
            return "agreeableness";
        case Trait::neuroticism:
            return "neuroticism";
    }
    return "openness";
}

std::optional<Trait> trait_from_name(std::string_view name) {
    for (Trait t : all_traits) {
        if (trait_name(t) == name)
            return t;
    }
    return std::nullopt;
}

ErrorOr<BigFive> big_five_from_json(const nlohmann::json& object) {
    BigFive out;
    if (object.is_null())
        return out;
    if (!object.is_object())
        return make_error("big five: expected an object of trait values");
    for (Trait t : all_traits) {
        auto it = object.find(std::string(trait_name(t)));
        if (it == object.end())
            continue;
        if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0.0 || it->get<double>() > 1.0)
            return make_error("big five: \"" + std::string(trait_name(t)) + "\" must be a number in [0, 1]");
        out[t] = it->get<double>();
    }
    return out;
}

nlohmann::json big_five_to_json(const BigFive& traits) {
    nlohmann::json j = nlohmann::json::object();
    for (Trait t : all_traits)
        j[std::string(trait_name(t))] = traits[t];
    return j;
}

std::optional<TraitChange> Personality::nudge(Trait trait, double delta, std::string reason,
                                              std::optional<int64_t> journal_entry, Timestamp now) {
    if (!std::isfinite(delta))
        return std::nullopt;
    const double step = std::clamp(delta, -m_limits.max_step, m_limits.max_step);
    const double low = std::max(0.0, m_baseline[trait] - m_limits.max_distance);
    const double high = std::min(1.0, m_baseline[trait] + m_limits.max_distance);
    const double from = m_current[trait];
    const double to = std::clamp(from + step, low, high);
    if (std::fabs(to - from) < 1e-9)
        return std::nullopt;
    m_current[trait] = to;
    return TraitChange{trait, from, to, std::move(reason), journal_entry, now};
}

std::string Personality::prompt_fragment() const {
    auto level = [](double v) { return v >= 0.66 ? "high" : v <= 0.34 ? "low" : "moderate"; };
    std::string out = "Your temperament:";
    for (Trait t : all_traits) {
        out += std::string(t == Trait::openness ? " " : ", ") + level(m_current[t]) + " " + std::string(trait_name(t));
    }
    return out + ".";
}

nlohmann::json Personality::to_json() const {
    return {{"baseline", big_five_to_json(m_baseline)}, {"current", big_five_to_json(m_current)}};
}

ErrorOr<Personality> Personality::from_json(const nlohmann::json& j, PersonalityLimits limits) {
    if (!j.is_object() || !j.contains("baseline") || !j.contains("current"))
        return make_error("personality: expected {\"baseline\", \"current\"}");
    Personality p(OS1_TRY(big_five_from_json(j["baseline"])), limits);
    p.m_current = OS1_TRY(big_five_from_json(j["current"]));
    return p;
}

}  // namespace os1::affect
