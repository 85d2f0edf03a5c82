#include "support/voice-audio.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "support/subprocess.h"
#include "voice/wav-file.h"

namespace os1::test {

namespace fs = std::filesystem;

namespace {

fs::path next_file(const fs::path& dir, const char* what) {
    static std::atomic<int> counter{0};
    return dir / (std::string(what) + "-" + std::to_string(counter++) + ".wav");
}

voice::AudioClip run_and_read(const std::vector<std::string>& args, const fs::path& file) {
    const ProcessResult result = run_process(args);
    EXPECT_EQ(result.exit_code, 0) << args.front() << " failed: " << result.err;
    auto clip = voice::read_wav(file);
    EXPECT_TRUE(clip) << (clip ? "" : clip.error().message);
    return clip ? clip.release_value() : voice::AudioClip{};
}

}  // namespace

std::string program_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const size_t colon = dirs.find(':');
        const fs::path candidate = fs::path(dirs.substr(0, colon)) / name;
        std::error_code ec;
        if (::access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate, ec))
            return candidate.string();
        dirs.remove_prefix(colon == std::string_view::npos ? dirs.size() : colon + 1);
    }
    return name;
}

voice::AudioClip flite_speech(const fs::path& dir, const std::string& text, const std::string& voice) {
    const fs::path file = next_file(dir, "flite");
    return run_and_read({program_path("flite"), "-voice", voice, "-t", text, "-o", file.string()}, file);
}

voice::AudioClip espeak_speech(const fs::path& dir, const std::string& text, int words_per_minute) {
    const fs::path file = next_file(dir, "espeak");
    return run_and_read({program_path("espeak-ng"), "-s", std::to_string(words_per_minute), "-w", file.string(), text}, file);
}

voice::AudioClip sox_noise(const fs::path& dir, const std::string& colour, double seconds) {
    const fs::path file = next_file(dir, "noise");
    return run_and_read({program_path("sox"), "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", file.string(), "synth",
                         std::to_string(seconds), colour, "vol", "0.5"},
                        file);
}

voice::AudioClip silence(int milliseconds) {
    return voice::AudioClip{std::vector<voice::Sample>(voice::samples_for(std::chrono::milliseconds{milliseconds}))};
}

voice::AudioClip concatenate(const voice::AudioClip& a, const voice::AudioClip& b) {
    voice::AudioClip both = a;
    both.samples.insert(both.samples.end(), b.samples.begin(), b.samples.end());
    return both;
}

}  // namespace os1::test
