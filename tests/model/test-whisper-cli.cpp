// whisper.cpp through the real os1 binary: `--stt auto` picks it once a whisper model is in the
// data folder (as `os1 pull whisper-base.en` leaves it) and pocketsphinx before; `--stt` and
// `--whisper-model` choose explicitly; a spoken turn in `os1 talk` is heard by it end to end;
// and a missing or foreign model is an error that says what to do. On the generated whisper
// model (random weights: the words are nonsense, their form is not).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/wav-file.h"

using namespace os1;
using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path k_whisper = fs::path(OS1_TEST_MODELS_DIR) / "whisper-test.bin";
const std::string k_chat_model = (fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-q8_0.gguf").string();

ProcessResult os1_run(const fs::path& home, std::vector<std::string> args) {
    args.insert(args.begin(), {OS1_BINARY, "--home", home.string()});
    return run_process(args);
}

// A recording of `text` said by flite, with silence before and after, as a microphone hears it.
std::string recording(const fs::path& dir, const std::string& text) {
    const voice::AudioClip clip =
        concatenate(concatenate(silence(400), flite_speech(dir, text, "rms")), silence(300));
    const fs::path path = dir / "said.wav";
    EXPECT_TRUE(voice::write_wav(path, clip));
    return path.string();
}

// Installs the generated model where `os1 pull whisper-base.en` saves the real one.
void install_whisper(const fs::path& home) {
    fs::create_directories(home / "models");
    fs::copy_file(k_whisper, home / "models" / "ggml-base.en.bin");
}

}  // namespace

TEST(WhisperCli, AutoPicksWhisperOnceAModelIsInstalled) {
    const fs::path dir = unique_temp_dir("whisper-cli-auto");
    const std::string said = recording(dir, "My train was late again this morning.");

    const ProcessResult before = os1_run(dir / "home", {"transcribe", said, "--json"});
    ASSERT_EQ(before.exit_code, 0) << before.err;
    EXPECT_EQ(json::parse(before.out)["engine"], "pocketsphinx");

    install_whisper(dir / "home");
    const ProcessResult after = os1_run(dir / "home", {"transcribe", said, "--json"});
    ASSERT_EQ(after.exit_code, 0) << after.err;
    EXPECT_EQ(after.err, "");  // whisper.cpp's log is kept quiet
    const json heard = json::parse(after.out);
    EXPECT_EQ(heard["engine"], "whisper");
    EXPECT_FALSE(heard["text"].get<std::string>().empty());

    const ProcessResult chosen = os1_run(dir / "home", {"transcribe", said, "--json", "--stt", "pocketsphinx"});
    ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
    EXPECT_EQ(json::parse(chosen.out)["engine"], "pocketsphinx");

    // By file, from a data folder with no model of its own, and by the name os1 pull lists.
    const ProcessResult by_file =
        os1_run(dir / "other-home", {"transcribe", said, "--json", "--whisper-model", k_whisper.string()});
    ASSERT_EQ(by_file.exit_code, 0) << by_file.err;
    EXPECT_EQ(json::parse(by_file.out)["text"], heard["text"]);
    const ProcessResult by_name =
        os1_run(dir / "home", {"transcribe", said, "--json", "--whisper-model", "whisper-base.en"});
    ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
    EXPECT_EQ(json::parse(by_name.out)["text"], heard["text"]);
}

TEST(WhisperCli, AMissingOrForeignModelSaysWhatToDo) {
    const fs::path dir = unique_temp_dir("whisper-cli-errors");
    const std::string said = recording(dir, "Good morning.");

    const ProcessResult none = os1_run(dir / "home", {"transcribe", said, "--stt", "whisper"});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("os1 pull whisper-base.en"), std::string::npos) << none.err;

    const ProcessResult not_pulled =
        os1_run(dir / "home", {"transcribe", said, "--whisper-model", "whisper-small.en"});
    EXPECT_EQ(not_pulled.exit_code, 1);
    EXPECT_NE(not_pulled.err.find("not downloaded yet; get it with: os1 pull whisper-small.en"), std::string::npos)
        << not_pulled.err;

    const ProcessResult chat_model =
        os1_run(dir / "home", {"transcribe", said, "--json", "--whisper-model", k_chat_model});
    EXPECT_EQ(chat_model.exit_code, 1);
    EXPECT_NE(json::parse(chat_model.out)["error"].get<std::string>().find("not a whisper.cpp model"),
              std::string::npos)
        << chat_model.out;

    const ProcessResult unknown = os1_run(dir / "home", {"transcribe", said, "--stt", "vosk"});
    EXPECT_EQ(unknown.exit_code, 2);

    const ProcessResult contradicting = os1_run(
        dir / "home", {"transcribe", said, "--stt", "pocketsphinx", "--whisper-model", k_whisper.string()});
    EXPECT_EQ(contradicting.exit_code, 1);
    EXPECT_NE(contradicting.err.find("drop --stt pocketsphinx"), std::string::npos) << contradicting.err;
}

TEST(WhisperCli, TalkHearsASpokenTurnWithWhisper) {
    const fs::path dir = unique_temp_dir("whisper-cli-talk");
    install_whisper(dir / "home");
    const std::string question = recording(dir, "What a lovely day it is.");
    const ProcessResult result =
        os1_run(dir / "home", {"talk", "--model", k_chat_model, "--seed", "1", "-t", "1", "--no-learning", "--json",
                               "--max-tokens", "8", "--input", question});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const json turn = json::parse(result.out);
    // The words are the random model's, but they were heard, answered and timed.
    EXPECT_FALSE(turn["transcript"].get<std::string>().empty()) << result.out;
    EXPECT_FALSE(turn["reply"].get<std::string>().empty());
    EXPECT_GE(turn["timings"]["stt_final_ms"].get<int>(), 0);
}
