// Temporary folders for tests. Each call makes a new, empty folder of its own under the system's
// temporary folder ($TMPDIR, else /tmp), so tests that run at the same time (ctest -j, a second
// build tree, a repeated run) never share or delete each other's files.
#pragma once

#include <filesystem>
#include <string_view>

namespace os1::test {

// A new empty folder named os1-<name>-XXXXXX; removed with its contents when the test program
// exits. Fails the test (and returns an empty path) when the folder cannot be made.
std::filesystem::path unique_temp_dir(std::string_view name);

}  // namespace os1::test
