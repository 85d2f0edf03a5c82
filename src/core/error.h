// Expected failures as values: ErrorOr<T> holds either a T or an Error with a message that
// says what went wrong and where ("model.gguf: not a GGUF file"), and a kind that a front end
// maps to its own terms (an HTTP status, an exit code, a spoken apology). Crashing is for
// broken invariants only. Propagate with OS1_TRY.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace os1 {

enum class ErrorKind {
    Internal,     // a failure with no better kind: a bug, or a library that failed unexpectedly
    NotFound,     // no such user, memory, model or file
    InvalidInput, // the request or its data is malformed or out of range
    Conflict,     // the state does not allow it now (busy, newer schema, already exists)
    Unavailable,  // a resource is missing or overloaded for now (engine busy, server down); retry later
    DiskFull,     // nothing was stored for lack of space
    PermissionDenied,  // os1 may not write (or read) where the data is kept: a read-only folder or mount
    Corrupt,      // stored data is damaged
    Cancelled,    // stopped on request
};

// "internal", "not found", ...
const char* to_string(ErrorKind kind);

struct Error {
    std::string message;
    ErrorKind kind = ErrorKind::Internal;
};

inline Error make_error(std::string message) { return Error{std::move(message), ErrorKind::Internal}; }
inline Error make_error(ErrorKind kind, std::string message) { return Error{std::move(message), kind}; }

template <typename T>
class [[nodiscard]] ErrorOr {
public:
    ErrorOr(T value) : m_value(std::in_place_index<0>, std::move(value)) {}
    ErrorOr(Error error) : m_value(std::in_place_index<1>, std::move(error)) {}

    explicit operator bool() const { return m_value.index() == 0; }
    bool is_error() const { return m_value.index() == 1; }

    T& value() & { return std::get<0>(m_value); }
    const T& value() const& { return std::get<0>(m_value); }
    T&& value() && { return std::get<0>(std::move(m_value)); }
    T release_value() { return std::get<0>(std::move(m_value)); }

    const Error& error() const { return std::get<1>(m_value); }
    Error release_error() { return std::get<1>(std::move(m_value)); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Error> m_value;
};

template <>
class [[nodiscard]] ErrorOr<void> {
public:
    ErrorOr() = default;
    ErrorOr(Error error) : m_error(std::move(error)), m_failed(true) {}

    explicit operator bool() const { return !m_failed; }
    bool is_error() const { return m_failed; }
    const Error& error() const { return m_error; }
    Error release_error() { return std::move(m_error); }
    void release_value() {}

private:
    Error m_error;
    bool m_failed = false;
};

}  // namespace os1

// Evaluates an ErrorOr expression; returns its error from the enclosing function, or yields
// its value. GNU statement expression, supported by GCC and Clang.
#define OS1_TRY(expression) OS1_TRY_IMPL(expression, OS1_CONCAT(os1_try_result_, __COUNTER__))
#define OS1_TRY_IMPL(expression, result)           \
    __extension__({                                \
        auto result = (expression);                \
        if (result.is_error())                     \
            return result.release_error();         \
        result.release_value();                    \
    })
#define OS1_CONCAT(a, b) OS1_CONCAT_INNER(a, b)
#define OS1_CONCAT_INNER(a, b) a##b
