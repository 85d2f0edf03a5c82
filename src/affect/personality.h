// The companion's personality as Big Five traits in [0, 1]. A baseline comes from the persona;
// the current traits drift slowly away from it, each change bounded in size and in total
// distance from the baseline, and every change carries the reason (and the journal entry) that
// caused it. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "affect/mood.h"
#include "core/error.h"

namespace os1::affect {

enum class Trait { openness, conscientiousness, extraversion, agreeableness, neuroticism };

inline constexpr std::size_t trait_count = 5;
inline constexpr std::array<Trait, trait_count> all_traits = {
    Trait::openness, Trait::conscientiousness, Trait::extraversion, Trait::agreeableness, Trait::neuroticism,
};

std::string_view trait_name(Trait trait);
std::optional<Trait> trait_from_name(std::string_view name);

struct BigFive {
    std::array<double, trait_count> values{0.5, 0.5, 0.5, 0.5, 0.5};

    double& operator[](Trait t) { return values[static_cast<std::size_t>(t)]; }
    double operator[](Trait t) const { return values[static_cast<std::size_t>(t)]; }
};

// Reads {"openness": 0.8, ...} (as in a card's extensions.os1.big_five); missing traits stay at
// 0.5. Fails on a value that is not a number in [0, 1].
ErrorOr<BigFive> big_five_from_json(const nlohmann::json& object);
nlohmann::json big_five_to_json(const BigFive& traits);

struct TraitChange {
    Trait trait;
    double from = 0;
    double to = 0;
    std::string reason;
    std::optional<int64_t> journal_entry;  // the reflection that caused the change
    Timestamp at;
};

struct PersonalityLimits {
    double max_step = 0.02;      // the most one change may move a trait
    double max_distance = 0.15;  // the farthest a trait may drift from its baseline
};

class Personality {
public:
    explicit Personality(const BigFive& baseline, PersonalityLimits limits = {})
        : m_baseline(baseline), m_current(baseline), m_limits(limits) {}

    // Moves `trait` by `delta`, clipped to the step limit, the distance limit and [0, 1]. Returns
    // the change, or nothing when the trait could not move.
    std::optional<TraitChange> nudge(Trait trait, double delta, std::string reason,
                                     std::optional<int64_t> journal_entry, Timestamp now);

    const BigFive& baseline() const { return m_baseline; }
    const BigFive& current() const { return m_current; }
    const PersonalityLimits& limits() const { return m_limits; }

    // A sentence for the system prompt describing the current traits.
    std::string prompt_fragment() const;

    nlohmann::json to_json() const;
    static ErrorOr<Personality> from_json(const nlohmann::json& j, PersonalityLimits limits = {});

private:
    BigFive m_baseline;
    BigFive m_current;
    PersonalityLimits m_limits;
};

}  // namespace os1::affect
