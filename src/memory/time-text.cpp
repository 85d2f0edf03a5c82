// Time parsing: ISO 8601, and relative expressions in queries, resolved in the user's zone.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "memory/memory.h"

namespace os1::memory {

namespace {

constexpr int64_t day_seconds = 86400;

std::tm utc(int64_t t) {
    std::time_t raw = std::time_t(t);
    std::tm out{};
    gmtime_r(&raw, &out);
    return out;
}

// Calendar arithmetic on the user's local days (days since 1970-01-01 of the local date, as
// local_day numbers them); a range of local days becomes the instants between their starts.

int64_t day_number(int year, int month0) {
    const int years = month0 >= 0 ? month0 / 12 : -((11 - month0) / 12);  // floor(month0 / 12)
    const int month = month0 - years * 12;
    const std::chrono::sys_days first =
        std::chrono::year{year + years} / std::chrono::month{unsigned(month + 1)} / std::chrono::day{1};
    return first.time_since_epoch().count();
}

std::chrono::year_month_day civil_date(int64_t day) {
    return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}};
}

int64_t day_start(int64_t day, const UtcOffset& zone) {
    return unix_seconds(local_day_start(day, zone));
}

TimeRange days_range(int64_t first_day, int64_t end_day, const UtcOffset& zone) {
    return {day_start(first_day, zone), day_start(end_day, zone)};
}

TimeRange month_range(int year, int month0, const UtcOffset& zone) {
    return days_range(day_number(year, month0), day_number(year, month0 + 1), zone);
}

TimeRange year_range(int year, const UtcOffset& zone) {
    return days_range(day_number(year, 0), day_number(year + 1, 0), zone);
}

// The Monday of the week holding local day `day`.
int64_t start_of_week(int64_t day) {
    const std::chrono::weekday weekday{std::chrono::sys_days{std::chrono::days{day}}};
    return day - int64_t(weekday.iso_encoding() - 1);
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

namespace {

// Reads ISO 8601 text field by field. Each field is exactly its number of ASCII digits: no
// sign, no spaces, nothing that sscanf's %d would let through.
class IsoReader {
public:
    explicit IsoReader(std::string_view text) : text_(text) {}

    bool digits(size_t count, int& value) {
        if (pos_ + count > text_.size())
            return false;
        value = 0;
        for (size_t i = 0; i < count; ++i) {
            const char c = text_[pos_ + i];
            if (c < '0' || c > '9')
                return false;
            value = value * 10 + (c - '0');
        }
        pos_ += count;
        return true;
    }
    bool accept(std::string_view choices) {
        if (pos_ < text_.size() && choices.find(text_[pos_]) != std::string_view::npos) {
            ++pos_;
            return true;
        }
        return false;
    }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool at_end() const { return pos_ == text_.size(); }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

}  // namespace

ErrorOr<int64_t> parse_iso8601(std::string_view text) {
    const std::string quoted = "\"" + std::string(text) + "\"";
    const auto malformed = [&](const std::string& what) {
        return make_error(quoted + " " + what + " (expected a time like 2024-05-03T10:00:00Z)");
    };
    IsoReader in(text);
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!in.digits(4, year) || !in.accept("-") || !in.digits(2, month) || !in.accept("-") || !in.digits(2, day))
        return malformed("is not an ISO 8601 date");
    int64_t offset = 0;
    if (in.accept("Tt ")) {
        if (!in.digits(2, hour) || !in.accept(":") || !in.digits(2, minute))
            return malformed("has a malformed time of day");
        if (in.accept(":")) {
            if (!in.digits(2, second))
                return malformed("has a malformed seconds field");
            if (in.accept(".,")) {
                int ignored = 0;
                if (!in.digits(1, ignored))
                    return malformed("has a malformed fraction of a second");
                while (in.digits(1, ignored)) {
                }
            }
        }
        if (in.accept("Zz")) {
        } else if (in.peek() == '+' || in.peek() == '-') {
            const int sign = in.peek() == '-' ? -1 : 1;
            in.accept("+-");
            int offset_hours = 0, offset_minutes = 0;
            if (!in.digits(2, offset_hours))
                return malformed("has a malformed time zone offset");
            in.accept(":");
            if (!in.digits(2, offset_minutes) || offset_hours > 23 || offset_minutes > 59)
                return malformed("has a malformed time zone offset");
            offset = sign * (offset_hours * 3600 + offset_minutes * 60);
        }
    }
    if (!in.at_end())
        return malformed("has trailing characters after the time");
    const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                                           std::chrono::day{unsigned(day)}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 60)
        return malformed("is out of range");
    const int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
    const int64_t time = days * day_seconds + hour * 3600 + minute * 60 + second - offset;
    if (time < earliest_time || time > latest_time)
        return malformed("is outside the years 0000 to 9999 once its offset is applied");
    return time;
}

std::string format_iso8601(int64_t t) {
    std::tm tm = utc(t);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buffer;
}

namespace {

struct Word {
    std::string text;           // lowercase
    size_t begin = 0, end = 0;  // bytes in the query
};

// Runs of ASCII letters, digits and '-' (so that 2024-05-03 stays one word).
std::vector<Word> time_words(const std::string& query) {
    std::vector<Word> out;
    size_t i = 0;
    while (i < query.size()) {
        auto c = static_cast<unsigned char>(query[i]);
        if (!(std::isalnum(c) || c == '-') || c >= 0x80) {
            ++i;
            continue;
        }
        Word w;
        w.begin = i;
        while (i < query.size() && static_cast<unsigned char>(query[i]) < 0x80 &&
               (std::isalnum(static_cast<unsigned char>(query[i])) || query[i] == '-'))
            ++i;
        w.end = i;
        w.text = lowercase(std::string_view(query).substr(w.begin, w.end - w.begin));
        out.push_back(std::move(w));
    }
    return out;
}

bool all_digits(const std::string& s, size_t min, size_t max) {
    if (s.size() < min || s.size() > max)
        return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    return true;
}

// "day", "days" -> "day"; empty for anything else.
std::string unit_of(const std::string& w) {
    for (const char* unit : {"day", "week", "month", "year"})
        if (w == unit || w == std::string(unit) + "s")
            return unit;
    return {};
}

int full_month_index(const std::string& w) {
    static const char* const names[] = {"january", "february", "march",     "april",   "may",      "june",
                                        "july",    "august",   "september", "october", "november", "december"};
    for (int i = 0; i < 12; ++i)
        if (w == names[i] || (w.size() == 3 && w != "may" && w.compare(0, 3, names[i], 3) == 0) ||
            (w == "sept" && i == 8))
            return i;
    return -1;
}

}  // namespace

std::optional<TimeRange> parse_time_expression(std::string& query, int64_t now, const UtcOffset& zone) {
    const std::vector<Word> w = time_words(query);
    const int64_t today = local_day(from_unix_seconds(now), zone);
    const std::chrono::year_month_day date_now = civil_date(today);
    const int year_now = int(date_now.year());
    const int month_now = int(unsigned(date_now.month())) - 1;
    std::optional<TimeRange> range;
    size_t first = 0, last = 0;  // words [first, last] form the expression
    for (size_t i = 0; i < w.size() && !range; ++i) {
        const std::string& t = w[i].text;
        const std::string next = i + 1 < w.size() ? w[i + 1].text : std::string();
        first = last = i;
        if (t == "day" && next == "before" && i + 2 < w.size() && w[i + 2].text == "yesterday") {
            last = i + 2;
            range = days_range(today - 2, today - 1, zone);
        } else if (t == "yesterday") {
            range = days_range(today - 1, today, zone);
        } else if (t == "today") {
            range = days_range(today, today + 1, zone);
        } else if (all_digits(t, 1, 4) && !unit_of(next).empty() && i + 2 < w.size() && w[i + 2].text == "ago") {
            const int n = std::stoi(t);
            const std::string unit = unit_of(next);
            last = i + 2;
            if (unit == "day")
                range = days_range(today - n, today - n + 1, zone);
            else if (unit == "week")
                range = days_range(today - 7 * n - 3, today - 7 * n + 4, zone);
            else if (unit == "month")
                range = month_range(year_now, month_now - n, zone);
            else
                range = year_range(year_now - n, zone);
        } else if ((t == "last" || t == "this" || t == "past") &&
                   (next == "week" || next == "month" || next == "year")) {
            last = i + 1;
            if (t == "past") {
                const int64_t span = next == "week" ? 7 : next == "month" ? 31 : 366;
                range = TimeRange{now - span * day_seconds, now + 1};
            } else {
                const int back = t == "last" ? 1 : 0;
                if (next == "week") {
                    const int64_t week = start_of_week(today) - back * 7;
                    range = days_range(week, week + 7, zone);
                } else if (next == "month") {
                    range = month_range(year_now, month_now - back, zone);
                } else {
                    range = year_range(year_now - back, zone);
                }
            }
        } else if (t == "on" && next.size() == 10) {
            if (auto date = parse_iso8601(next)) {
                last = i + 1;
                const int64_t day = date.value() / day_seconds - (date.value() % day_seconds < 0 ? 1 : 0);
                range = days_range(day, day + 1, zone);
            }
        } else if ((t == "in" || t == "during") && full_month_index(next) >= 0) {
            const int month = full_month_index(next);
            int year = month > month_now ? year_now - 1 : year_now;
            last = i + 1;
            if (i + 2 < w.size() && all_digits(w[i + 2].text, 4, 4)) {
                year = std::stoi(w[i + 2].text);
                last = i + 2;
            }
            range = month_range(year, month, zone);
        } else if (t == "in" && all_digits(next, 4, 4) && (next[0] == '1' || next[0] == '2')) {
            last = i + 1;
            range = year_range(std::stoi(next), zone);
        }
    }
    if (range)
        query = query.substr(0, w[first].begin) + " " + query.substr(w[last].end);
    return range;
}

namespace {

// "5", "5th", "21st" as a day of the month; 0 for anything else.
int day_of_month(const std::string& w) {
    size_t digits = 0;
    while (digits < w.size() && std::isdigit(static_cast<unsigned char>(w[digits])))
        ++digits;
    if (digits == 0 || digits > 2)
        return 0;
    const std::string suffix = w.substr(digits);
    if (!suffix.empty() && suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th")
        return 0;
    const int day = std::stoi(w.substr(0, digits));
    return day >= 1 && day <= 31 ? day : 0;
}

// A real calendar date of a year people talk about (so "1.2.3456" is a version, not a date).
bool valid_date(int year, int month0, int day) {
    if (year < 1900 || year >= 2200)
        return false;
    const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{unsigned(month0 + 1)},
                                           std::chrono::day{unsigned(day)}};
    return date.ok();
}

}  // namespace

std::optional<int64_t> parse_named_date(std::string& query, int64_t now, const UtcOffset& zone) {
    // "24.01.2024": the dots split it into words, so it is found in the text first.
    for (size_t i = 0; i < query.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(query[i])) ||
            (i > 0 && std::isdigit(static_cast<unsigned char>(query[i - 1]))))
            continue;
        int day = 0, month = 0, year = 0, used = 0;
        if (std::sscanf(query.c_str() + i, "%2d.%2d.%4d%n", &day, &month, &year, &used) == 3 && used >= 8 &&
            year >= 1900 && year < 2200 && month >= 1 && month <= 12 && valid_date(year, month - 1, day) &&
            !(i + size_t(used) < query.size() && std::isdigit(static_cast<unsigned char>(query[i + size_t(used)])))) {
            query = query.substr(0, i) + " " + query.substr(i + size_t(used));
            return day_number(year, month - 1) + day - 1;
        }
    }
    const std::vector<Word> w = time_words(query);
    const std::chrono::year_month_day date_now = civil_date(local_day(from_unix_seconds(now), zone));
    for (size_t i = 0; i < w.size(); ++i) {
        // "5 January 2024", "the 5th of January, 2024", or "January 5th, 2024".
        int day = 0, month = -1;
        size_t last = i;
        if (int d = day_of_month(w[i].text); d > 0) {
            size_t m = i + 1 < w.size() && w[i + 1].text == "of" ? i + 2 : i + 1;
            if (m < w.size() && full_month_index(w[m].text) >= 0) {
                day = d;
                month = full_month_index(w[m].text);
                last = m;
            }
        } else if (full_month_index(w[i].text) >= 0 && i + 1 < w.size() && day_of_month(w[i + 1].text) > 0) {
            month = full_month_index(w[i].text);
            day = day_of_month(w[i + 1].text);
            last = i + 1;
        }
        if (month < 0)
            continue;
        // Without a year, the latest such date not after now.
        int year = int(date_now.year());
        if (last + 1 < w.size() && all_digits(w[last + 1].text, 4, 4)) {
            year = std::stoi(w[last + 1].text);
            ++last;
        } else if (month > int(unsigned(date_now.month())) - 1 ||
                   (month == int(unsigned(date_now.month())) - 1 && day > int(unsigned(date_now.day())))) {
            --year;
        }
        if (!valid_date(year, month, day))
            continue;
        query = query.substr(0, w[i].begin) + " " + query.substr(w[last].end);
        return day_number(year, month) + day - 1;
    }
    return std::nullopt;
}

std::optional<int64_t> day_told_of(std::string_view text, int64_t said_at, const UtcOffset& zone) {
    const int64_t said_on = local_day(from_unix_seconds(said_at), zone);
    std::string rest(text);
    std::optional<int64_t> day;
    // Each expression found is removed from `rest`, so this ends; sixteen are plenty for one message.
    for (int found = 0; found < 16; ++found) {
        std::optional<int64_t> named;
        if (auto range = parse_time_expression(rest, said_at, zone)) {
            const int64_t first = local_day(from_unix_seconds(range->begin), zone);
            const TimeRange one_day = days_range(first, first + 1, zone);
            if (one_day.begin != range->begin || one_day.end != range->end)
                return std::nullopt;  // a week, a month, a year: no one day
            named = first;
        } else {
            named = parse_named_date(rest, said_at, zone);
        }
        if (!named)
            break;
        if (day && *day != *named)
            return std::nullopt;  // two days: which one a fact is about is not clear
        day = named;
    }
    if (!day || *day > said_on || *day < said_on - max_days_told_back)
        return std::nullopt;
    return day;
}

}  // namespace os1::memory
