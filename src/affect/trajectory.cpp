#include "affect/trajectory.h"

#include <cmath>

namespace os1::affect {

namespace {

constexpr double down_level = -0.2;
constexpr double up_level = 0.3;
constexpr double min_shift = 0.35;

const char* weekday_name(int64_t day) {
    static const char* names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    const std::chrono::weekday wd{std::chrono::sys_days{std::chrono::days{day}}};
    return names[wd.c_encoding()];
}

}  // namespace

void EmotionalTrajectory::record(double valence, int64_t day) {
    if (!std::isfinite(valence))
        return;
    if (m_days.empty() || m_days.back().day < day)
        m_days.push_back(DayValence{day, 0.0, 0});
    // A timestamp older than the last day lands in the last day: the trajectory only moves forward.
    m_days.back().valence_sum += valence;
    ++m_days.back().messages;
    if (m_days.size() > max_days)
        m_days.erase(m_days.begin(), m_days.begin() + std::ptrdiff_t(m_days.size() - max_days));
}

std::optional<std::string> EmotionalTrajectory::notice(int64_t today) const {
    std::vector<DayValence> window;
    for (const DayValence& d : m_days) {
        if (d.day > today - 14 && d.day <= today)
            window.push_back(d);
    }
    if (window.size() < 3)
        return std::nullopt;

    for (int direction : {-1, 1}) {
        // The trailing run of days on one side of the threshold.
        std::size_t start = window.size();
        while (start > 0) {
            const double avg = window[start - 1].average();
            if (direction < 0 ? avg > down_level : avg < up_level)
                break;
            --start;
        }
        const std::size_t run = window.size() - start;
        if (run < 2 || start == 0)
            continue;
        double before_sum = 0;
        int64_t before_messages = 0;
        for (std::size_t i = 0; i < start; ++i) {
            before_sum += window[i].valence_sum;
            before_messages += window[i].messages;
        }
        double run_sum = 0;
        int64_t run_messages = 0;
        for (std::size_t i = start; i < window.size(); ++i) {
            run_sum += window[i].valence_sum;
            run_messages += window[i].messages;
        }
        const double shift = run_sum / double(run_messages) - before_sum / double(before_messages);
        if (direction * shift < min_shift)
            continue;
        const int64_t since = window[start].day;
        const std::string when = today - since < 7 ? std::string("since ") + weekday_name(since)
                                                   : "for the past " + std::to_string(today - since + 1) + " days";
        return std::string(direction < 0 ? "you've seemed down " : "you've seemed brighter ") + when;
    }
    return std::nullopt;
}

nlohmann::json EmotionalTrajectory::to_json() const {
    nlohmann::json days = nlohmann::json::array();
    for (const DayValence& d : m_days)
        days.push_back({d.day, d.valence_sum, d.messages});
    return days;
}

ErrorOr<EmotionalTrajectory> EmotionalTrajectory::from_json(const nlohmann::json& j) {
    if (!j.is_array())
        return make_error("trajectory: expected an array of [day, valence_sum, messages]");
    EmotionalTrajectory t;
    for (const auto& d : j) {
        if (!d.is_array() || d.size() != 3 || !d[0].is_number_integer() || !d[1].is_number() ||
            !d[2].is_number_integer())
            return make_error("trajectory: expected an array of [day, valence_sum, messages]");
        t.m_days.push_back(DayValence{d[0].get<int64_t>(), d[1].get<double>(), d[2].get<int64_t>()});
    }
    return t;
}

}  // namespace os1::affect
