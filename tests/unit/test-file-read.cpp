// Reading files a user names: devices, FIFOs and oversized files are refused before reading.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "core/file-read.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;

TEST(FileRead, ReadsARegularFileWithinTheLimit) {
    const fs::path dir = test::unique_temp_dir("file-read");
    std::ofstream(dir / "small.txt") << "hello";
    auto bytes = read_file_limited(dir / "small.txt", 5, "a note");
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, "hello");
}

TEST(FileRead, RefusesDevicesFifosLargeAndMissingFiles) {
    const fs::path dir = test::unique_temp_dir("file-read-refusals");
    auto zero = read_file_limited("/dev/zero", 1 << 20, "the lexicon");
    ASSERT_FALSE(zero);
    EXPECT_EQ(zero.error().kind, ErrorKind::InvalidInput);
    EXPECT_EQ(zero.error().message, "/dev/zero: is a device, not a regular file; the lexicon must be a file");

    auto folder = read_file_limited(dir, 1 << 20, "an import");
    ASSERT_FALSE(folder);
    EXPECT_EQ(folder.error().kind, ErrorKind::InvalidInput);
    EXPECT_EQ(folder.error().message, dir.string() + ": is a folder, not a regular file; an import must be a file");

    ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
    EXPECT_FALSE(read_file_limited(dir / "fifo", 1 << 20, "an import"));  // would block forever if opened

    std::ofstream(dir / "big.txt") << std::string(2 << 20, 'x');
    auto big = read_file_limited(dir / "big.txt", 1 << 20, "an import");
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("larger than the limit of 1 MiB"), std::string::npos);

    auto missing = read_file_limited(dir / "absent", 10, "a card");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

// A file that stat calls regular can still fail to be read: /proc/self/mem at offset 0 is an
// unmapped address. That is an error saying so, never the empty file it would otherwise seem.
TEST(FileRead, AFileThatCannotBeReadSaysSo) {
    auto mem = read_file_limited("/proc/self/mem", 1 << 20, "an import");
    ASSERT_FALSE(mem);
    EXPECT_EQ(mem.error().message, "/proc/self/mem: cannot be read (Input/output error)");
}
