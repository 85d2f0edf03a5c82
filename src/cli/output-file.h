// Writing a file the user named on the command line: "-" is standard output; anything else is
// replaced whole or not at all, and only when it is (or will be) a regular file.
#pragma once

#include <string>

#include "core/error.h"

namespace os1::cli {

enum class OutputKind { text, binary };

// Writes `bytes` to `path`. "-" writes to standard output (binary output only when it is not a
// terminal). A symlink is followed and its target replaced; a FIFO, a device, a folder or a
// symlink to nothing is refused, never replaced. A regular file is written through a temporary
// file beside it and a rename, keeping its permissions, so a failed write leaves it as it was.
ErrorOr<void> write_output_file(const std::string& path, const std::string& bytes, OutputKind kind);

}  // namespace os1::cli
