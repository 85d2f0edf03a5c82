// How an appraised message moves the companion's mood, and why:
//
// Each message defines a target point in PAD space and the mood moves a fraction of the way
// toward it: mood += step * (target - mood), with step = sensitivity * intensity in [0, 1]. A
// convex step between two points of the cube cannot leave the cube, so the mood stays bounded
// however many strong messages arrive, and a run of identical messages converges on their
// target instead of running away. Intensity is how emotional the message is (its strongest
// valence, emotion or activation), so small talk barely moves the mood.
//
// Targets, from the companion's side of the conversation:
//  - pleasure: the message's valence, plus warmth received (joy, affection, gratitude) and minus
//    distress shared (sadness, anger, fear, loneliness): empathy, not mirroring words;
//  - arousal: the message's arousal rescaled from [0, 1] to [-1, 1];
//  - dominance: how in control the companion feels. Thanks and affection raise it, and so does a
//    user who is sad, afraid or lonely, because the companion steps into a supportive role;
//    anger (often aimed at the companion) lowers it.
//
// Between messages every dimension decays exponentially toward the baseline with one half-life.
#include "affect/mood.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

namespace os1::affect {

namespace {

double clamp_unit(double x) {
    return std::clamp(x, -1.0, 1.0);
}

bool in_unit_range(double x) {
    return std::isfinite(x) && x >= -1.0 && x <= 1.0;
}

Pad decayed(const Pad& pad, const Pad& baseline, double factor) {
    return {
        baseline.pleasure + (pad.pleasure - baseline.pleasure) * factor,
        baseline.arousal + (pad.arousal - baseline.arousal) * factor,
        baseline.dominance + (pad.dominance - baseline.dominance) * factor,
    };
}

}  // namespace

std::string_view mood_label_name(MoodLabel label) {
    switch (label) {
        case MoodLabel::neutral:
            return "neutral";
        case MoodLabel::happy:
            return "happy";
        case MoodLabel::excited:
            return "excited";
        case MoodLabel::content:
            return "content";
        case MoodLabel::calm:
            return "calm";
        case MoodLabel::sad:
            return "sad";
        case MoodLabel::bored:
            return "bored";
        case MoodLabel::anxious:
            return "anxious";
        case MoodLabel::irritated:
            return "irritated";
    }
    return "neutral";
}

MoodLabel label_for(const Pad& pad) {
    const double p = pad.pleasure;
    const double a = pad.arousal;
    // Too close to the origin to call anything but neutral.
    if (std::hypot(p, a) < 0.15)
        return MoodLabel::neutral;
    if (p >= 0) {
        if (a > 0.3)
            return MoodLabel::excited;
        if (a < -0.3)
            return MoodLabel::calm;
        return p > 0.3 ? MoodLabel::happy : MoodLabel::content;
    }
    // Unpleasant and activated: distress, hostile when dominant and fearful when not.
    if (a > 0.1)
        return pad.dominance >= 0 ? MoodLabel::irritated : MoodLabel::anxious;
    // Unpleasant and low-energy: mild and composed reads as bored, otherwise sad.
    if (pad.dominance >= 0 && p > -0.4)
        return MoodLabel::bored;
    return MoodLabel::sad;
}

ErrorOr<void> validate(const MoodConfig& config) {
    const Pad& b = config.baseline;
    if (!in_unit_range(b.pleasure) || !in_unit_range(b.arousal) || !in_unit_range(b.dominance))
        return make_error("mood config: baseline must lie in [-1, 1] on every dimension");
    if (config.half_life.count() <= 0)
        return make_error("mood config: half-life must be positive");
    if (!std::isfinite(config.sensitivity) || config.sensitivity < 0.0 || config.sensitivity > 1.0)
        return make_error("mood config: sensitivity must lie in [0, 1]");
    return {};
}

ErrorOr<Mood> Mood::create(const MoodConfig& config, Timestamp now) {
    OS1_TRY(validate(config));
    return Mood(config, now);
}

Pad Mood::pad_at(Timestamp now) const {
    if (now <= m_updated_at)
        return m_pad;
    const double elapsed = std::chrono::duration<double>(now - m_updated_at).count();
    const double half_life = std::chrono::duration<double>(m_config.half_life).count();
    return decayed(m_pad, m_config.baseline, std::exp2(-elapsed / half_life));
}

void Mood::decay_to(Timestamp now) {
    if (now <= m_updated_at)
        return;
    m_pad = pad_at(now);
    m_updated_at = now;
}

void Mood::shift(const Pad& delta, Timestamp since, Timestamp now) {
    decay_to(now);
    const double elapsed = std::max(0.0, std::chrono::duration<double>(m_updated_at - since).count());
    const double half_life = std::chrono::duration<double>(m_config.half_life).count();
    const double left = std::exp2(-elapsed / half_life);
    auto finite = [](double x) { return std::isfinite(x) ? x : 0.0; };
    m_pad.pleasure = clamp_unit(m_pad.pleasure + left * finite(delta.pleasure));
    m_pad.arousal = clamp_unit(m_pad.arousal + left * finite(delta.arousal));
    m_pad.dominance = clamp_unit(m_pad.dominance + left * finite(delta.dominance));
}

void Mood::apply(const Appraisal& appraisal, Timestamp now) {
    decay_to(now);
    const EmotionScores& e = appraisal.emotions;
    const double warmth = e[Emotion::joy] + e[Emotion::affection] + e[Emotion::gratitude];
    const double distress = e[Emotion::sadness] + e[Emotion::anger] + e[Emotion::fear] + e[Emotion::loneliness];
    const double valence = std::isfinite(appraisal.valence) ? clamp_unit(appraisal.valence) : 0.0;
    const double arousal = std::isfinite(appraisal.arousal) ? std::clamp(appraisal.arousal, 0.0, 1.0) : 0.0;

    Pad target;
    target.pleasure = clamp_unit(valence + 0.3 * warmth - 0.3 * distress);
    target.arousal = clamp_unit(2.0 * arousal - 1.0);
    target.dominance =
        clamp_unit(0.2 * valence + 0.4 * e[Emotion::gratitude] + 0.3 * e[Emotion::affection] +
                   0.2 * (e[Emotion::sadness] + e[Emotion::fear] + e[Emotion::loneliness]) - 0.6 * e[Emotion::anger]);

    // Activation above the resting level of a flat message (0.1) counts as intensity too.
    const double activation = std::max(0.0, (arousal - 0.1) / 0.9);
    const double strongest = std::isfinite(e.strongest()) ? std::clamp(e.strongest(), 0.0, 1.0) : 0.0;
    const double intensity = std::max({std::fabs(valence), strongest, activation});
    const double step = std::clamp(m_config.sensitivity * intensity, 0.0, 1.0);

    m_pad.pleasure = clamp_unit(m_pad.pleasure + step * (target.pleasure - m_pad.pleasure));
    m_pad.arousal = clamp_unit(m_pad.arousal + step * (target.arousal - m_pad.arousal));
    m_pad.dominance = clamp_unit(m_pad.dominance + step * (target.dominance - m_pad.dominance));
}

std::string Mood::to_json() const {
    nlohmann::json j = {
        {"pleasure", m_pad.pleasure},        {"arousal", m_pad.arousal},
        {"dominance", m_pad.dominance},      {"updated_at_ms", m_updated_at.time_since_epoch().count()},
        {"label", mood_label_name(label())},
    };
    return j.dump();
}

ErrorOr<Mood> Mood::from_json(std::string_view json, const MoodConfig& config) {
    OS1_TRY(validate(config));
    nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_discarded())
        return make_error("mood: not valid JSON");
    if (!j.is_object())
        return make_error("mood: expected a JSON object");

    Pad pad;
    for (auto [key, field] : {std::pair{"pleasure", &pad.pleasure}, std::pair{"arousal", &pad.arousal},
                              std::pair{"dominance", &pad.dominance}}) {
        auto it = j.find(key);
        if (it == j.end() || !it->is_number())
            return make_error(std::string("mood: \"") + key + "\" is missing or not a number");
        double value = it->get<double>();
        if (!in_unit_range(value))
            return make_error(std::string("mood: \"") + key + "\" is outside [-1, 1]");
        *field = value;
    }
    auto it = j.find("updated_at_ms");
    if (it == j.end() || !it->is_number_integer())
        return make_error("mood: \"updated_at_ms\" is missing or not an integer");
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return make_error("mood: \"updated_at_ms\" is out of range");

    Mood mood(config, Timestamp(std::chrono::milliseconds(it->get<std::int64_t>())));
    mood.m_pad = pad;
    return mood;
}

}  // namespace os1::affect
