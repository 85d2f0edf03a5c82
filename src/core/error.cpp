#include "core/error.h"

namespace os1 {

const char* to_string(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Internal:
        return "internal";
    case ErrorKind::NotFound:
        return "not found";
    case ErrorKind::InvalidInput:
        return "invalid input";
    case ErrorKind::Conflict:
        return "conflict";
    case ErrorKind::Unavailable:
        return "unavailable";
    case ErrorKind::DiskFull:
        return "disk full";
    case ErrorKind::PermissionDenied:
        return "permission denied";
    case ErrorKind::Corrupt:
        return "corrupt";
    case ErrorKind::Cancelled:
        return "cancelled";
    }
    return "internal";
}

}  // namespace os1
