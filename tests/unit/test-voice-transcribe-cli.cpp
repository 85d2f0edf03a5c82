// `os1 transcribe` through the real os1 binary: what it hears in flite speech (plain and
// --json), silence as no words, a recording at another rate and channel count, and its errors
// (a missing or damaged file, a missing model, no file at all) with the CLI's exit codes.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/wav-file.h"
#include "voice/word-error-rate.h"

using namespace os1;
using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// In a data folder of its own, where no whisper model is installed: the recogniser is pocketsphinx.
ProcessResult os1_run(std::vector<std::string> args) {
    args.insert(args.begin(), {OS1_BINARY, "--home", unique_temp_dir("voice-transcribe-home").string()});
    return run_process(args);
}

}  // namespace

TEST(VoiceTranscribeCli, PrintsWhatItHears) {
    const fs::path dir = unique_temp_dir("voice-transcribe");
    const std::string said = "My train was late again this morning.";
    const fs::path file = dir / "said.wav";
    ASSERT_EQ(run_process({program_path("flite"), "-voice", "rms", "-t", said, "-o", file.string()}).exit_code, 0);

    const ProcessResult plain = os1_run({"transcribe", file.string()});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.err, "");  // pocketsphinx's log is kept quiet
    EXPECT_LE(voice::word_errors(said, plain.out).edits, 1u) << plain.out;
    EXPECT_EQ(plain.out.back(), '\n');

    const ProcessResult as_json = os1_run({"transcribe", file.string(), "--json"});
    ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
    const json out = json::parse(as_json.out);
    EXPECT_EQ(out["text"], plain.out.substr(0, plain.out.size() - 1));
    auto clip = voice::read_wav(file);
    ASSERT_TRUE(clip);
    EXPECT_EQ(out["duration_ms"].get<int64_t>(), clip->duration().count());
    EXPECT_GT(out["decode_ms"].get<double>(), 0);
    EXPECT_NEAR(out["real_time_factor"].get<double>(),
                out["decode_ms"].get<double>() / out["duration_ms"].get<double>(), 0.001);
    // In this order, for scripts that read it by eye.
    const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(as_json.out);
    std::vector<std::string> keys;
    for (const auto& [key, value] : ordered.items())
        keys.push_back(key);
    EXPECT_EQ(keys, (std::vector<std::string>{"text", "duration_ms", "decode_ms", "real_time_factor", "engine"}));
    EXPECT_EQ(out["engine"], "pocketsphinx");
}

TEST(VoiceTranscribeCli, HearsOtherRatesAndChannelsAndSilence) {
    const fs::path dir = unique_temp_dir("voice-transcribe-formats");
    const std::string said = "I have been reading a good book about the history of tea.";
    ASSERT_EQ(run_process({program_path("flite"), "-voice", "slt", "-t", said, "-o", (dir / "16k.wav").string()}).exit_code, 0);
    // 48 kHz stereo float, as a microphone records.
    ASSERT_EQ(run_process({program_path("sox"), (dir / "16k.wav").string(), "-r", "48000", "-c", "2", "-e",
                           "floating-point", "-b", "32", (dir / "48k.wav").string()})
                  .exit_code,
              0);
    const ProcessResult heard = os1_run({"transcribe", (dir / "48k.wav").string(), "--json"});
    ASSERT_EQ(heard.exit_code, 0) << heard.err;
    EXPECT_LE(voice::word_errors(said, json::parse(heard.out)["text"].get<std::string>()).rate(), 0.2) << heard.out;

    ASSERT_TRUE(voice::write_wav(dir / "silence.wav", silence(2000)));
    const ProcessResult quiet = os1_run({"transcribe", (dir / "silence.wav").string(), "--json"});
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(json::parse(quiet.out)["text"], "");
}

TEST(VoiceTranscribeCli, ErrorsSayWhatIsWrong) {
    const fs::path dir = unique_temp_dir("voice-transcribe-errors");
    const ProcessResult missing = os1_run({"transcribe", (dir / "absent.wav").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.out, "");
    EXPECT_EQ(missing.err, "os1 transcribe: " + (dir / "absent.wav").string() + ": no such file (the recording)\n");

    std::ofstream(dir / "notes.wav") << "not audio";
    const ProcessResult damaged = os1_run({"transcribe", (dir / "notes.wav").string(), "--json"});
    EXPECT_EQ(damaged.exit_code, 1);
    EXPECT_EQ(json::parse(damaged.out)["error"], (dir / "notes.wav").string() + ": not a WAV file (no RIFF/WAVE header)");

    const ProcessResult device = os1_run({"transcribe", "/dev/zero"});
    EXPECT_EQ(device.exit_code, 1);
    EXPECT_NE(device.err.find("is a device"), std::string::npos) << device.err;

    ASSERT_TRUE(voice::write_wav(dir / "silence.wav", silence(500)));
    const ProcessResult no_model =
        os1_run({"transcribe", (dir / "silence.wav").string(), "--model-dir", (dir / "nothing").string()});
    EXPECT_EQ(no_model.exit_code, 1);
    EXPECT_NE(no_model.err.find("install pocketsphinx-en-us"), std::string::npos) << no_model.err;

    const ProcessResult usage = os1_run({"transcribe", "--json"});
    EXPECT_EQ(usage.exit_code, 2);
    EXPECT_TRUE(json::parse(usage.out).contains("error"));

    const ProcessResult help = os1_run({"transcribe", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--model-dir"), std::string::npos);
}
