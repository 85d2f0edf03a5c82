#include "core/user-names.h"

#include "core/utf8.h"

namespace os1 {

namespace {

// Non-ASCII letters pass as UTF-8 bytes: '/', '.' and the control characters are all ASCII.
bool allowed_inside(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '@' || c == ' ' || static_cast<unsigned char>(c) >= 0x80;
}

bool letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           static_cast<unsigned char>(c) >= 0x80;
}

std::string quoted(std::string_view name) {
    // The name may hold anything; show at most a short, printable part of it.
    std::string shown;
    for (char c : name.substr(0, 40))
        shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    return "\"" + shown + (name.size() > 40 ? "…" : "") + "\" is not a valid user name:";
}

}  // namespace

ErrorOr<void> check_user_name(std::string_view name) {
    if (name.empty())
        return make_error(ErrorKind::InvalidInput, "\"\" is not a valid user name: it is empty");
    if (name.size() > max_user_name_bytes)
        return make_error(ErrorKind::InvalidInput, quoted(name) + " it is longer than " +
                                                       std::to_string(max_user_name_bytes) + " bytes");
    if (!is_valid_utf8(name))
        return make_error(ErrorKind::InvalidInput, quoted(name) + " it is not valid UTF-8");
    if (!letter_or_digit(name.front()) || !letter_or_digit(name.back()))
        return make_error(ErrorKind::InvalidInput, quoted(name) + " it must start and end with a letter or a digit");
    for (char c : name) {
        if (!allowed_inside(c))
            return make_error(ErrorKind::InvalidInput,
                              quoted(name) + " it may only hold letters, digits, spaces, '.', '_', '-' and '@'");
    }
    return {};
}

ErrorOr<std::filesystem::path> user_dir(const std::filesystem::path& home, std::string_view name) {
    OS1_TRY(check_user_name(name));
    return home / "users" / std::string(name);
}

}  // namespace os1
