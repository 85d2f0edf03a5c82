// `os1 talk` as a script runs it: a real process, a generated model, real speech made by flite,
// and what the companion stored afterwards. The model's words are random, so the tests check
// the mechanics: what was heard, what was spoken, what was stored, and when it was cut.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "memory/conversation-store.h"
#include "support/host-turns.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/wav-file.h"

using namespace os1;
using namespace os1::test;
namespace fs = std::filesystem;

namespace {

const std::string model = (fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-q8_0.gguf").string();

std::vector<std::string> talk(const fs::path& home, std::vector<std::string> extra) {
    std::vector<std::string> args = {OS1_BINARY, "--home",        home.string(), "talk", "--model", model,
                                     "--seed",   "1",             "-t",          "1",    "--no-learning",
                                     "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// A recording of `text` said by flite, with silence before and after, as a microphone hears it.
std::string recording(const fs::path& dir, const std::string& name, const std::string& text) {
    voice::AudioClip clip = concatenate(concatenate(silence(400), flite_speech(dir, text, "rms")), silence(300));
    const fs::path path = dir / name;
    EXPECT_TRUE(voice::write_wav(path, clip));
    return path.string();
}

void expect_exact_fields(const nlohmann::json& turn) {
    for (const char* field : {"transcript", "reply", "spoken", "interrupted", "timings"})
        EXPECT_TRUE(turn.contains(field)) << field << " in " << turn.dump();
    for (const char* field : {"endpoint_ms", "stt_final_ms", "first_token_ms", "first_audio_ms"})
        EXPECT_TRUE(turn["timings"].contains(field)) << field;
}

}  // namespace

TEST(TalkCli, ARecordingIsHeardAnsweredAloudAndStoredAsSpoken) {
    const fs::path dir = unique_temp_dir("talk-once");
    const std::string question = recording(dir, "question.wav", "what a lovely day it is");
    const fs::path out = dir / "reply.wav";
    auto result = run_process(talk(dir / "home", {"--input", question, "--output", out.string(), "--max-tokens", "12"}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json turn = nlohmann::json::parse(result.out);
    expect_exact_fields(turn);
    EXPECT_FALSE(turn["transcript"].get<std::string>().empty()) << "the recogniser heard words";
    EXPECT_FALSE(turn["reply"].get<std::string>().empty());
    EXPECT_FALSE(turn["interrupted"].get<bool>());
    EXPECT_GT(turn["timings"]["endpoint_ms"].get<int>(), 0);
    EXPECT_GE(turn["timings"]["first_audio_ms"].get<int>(), turn["timings"]["first_token_ms"].get<int>());

    auto written = voice::read_wav(out);
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_GT(written->duration(), std::chrono::milliseconds(300)) << "the reply was spoken into the file";

    const std::vector<memory::Turn> turns = latest_turns(dir / "home", "default");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].content, turn["transcript"].get<std::string>());
    EXPECT_EQ(turns[1].content, turn["reply"].get<std::string>()) << "played through: stored whole";
    EXPECT_FALSE(turns[1].interrupted);
}

TEST(TalkCli, TalkingOverTheReplyCutsItAndOnlyWhatWasSaidIsStored) {
    const fs::path dir = unique_temp_dir("talk-interrupt");
    const std::string question = recording(dir, "question.wav", "tell me a very long story about the sea");
    const std::string interruption = recording(dir, "stop.wav", "wait a moment please stop there");
    // 200 random tokens are far longer than 1.5 s of speech.
    auto result = run_process(
        talk(dir / "home", {"--input", question, "--input", interruption + "@1500", "--max-tokens", "200"}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json out = nlohmann::json::parse(result.out);
    ASSERT_TRUE(out.contains("turns")) << out.dump();
    ASSERT_GE(out["turns"].size(), 1u);
    const nlohmann::json& cut = out["turns"][0];
    expect_exact_fields(cut);
    ASSERT_TRUE(cut["interrupted"].get<bool>()) << cut.dump();
    const std::string reply = cut["reply"], spoken = cut["spoken"];
    EXPECT_LT(spoken.size(), reply.size()) << "less was said than was written";

    // The first exchange in the store holds what was played aloud, marked interrupted.
    auto store = memory::ConversationStore::open(dir / "home" / "users" / "default");
    ASSERT_TRUE(store);
    auto latest = store->latest_conversation();
    ASSERT_TRUE(latest && latest.value());
    auto stored = store->turns(latest.value()->id);
    ASSERT_TRUE(stored);
    ASSERT_GE(stored->size(), 2u);
    EXPECT_EQ((*stored)[1].content, spoken);
    EXPECT_TRUE((*stored)[1].interrupted);
}

// The companion's options are those of `os1 chat`: with --embedding-model, what was said is
// remembered with vectors at once, so that a later backfill has nothing left to embed.
TEST(TalkCli, TheCompanionOptionsOfChatApplyToSpokenTurns) {
    const fs::path dir = unique_temp_dir("talk-embed");
    const std::string question = recording(dir, "question.wav", "what a lovely day it is");
    const std::string embedder = (fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf").string();
    auto embed_backfill = [&](const fs::path& home) {
        auto result = run_process({OS1_BINARY, "--home", home.string(), "memory", "embed", "--embedding-model",
                                   embedder, "--json"});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return nlohmann::json::parse(result.out)["embedded"].get<int>();
    };
    for (const bool with_embedder : {true, false}) {
        const fs::path home = dir / (with_embedder ? "with" : "without");
        std::vector<std::string> extra = {"--input", question, "--max-tokens", "8", "--system",
                                          "You are a terse test companion.", "--reflection-threshold", "50"};
        if (with_embedder)
            extra.insert(extra.end(), {"--embedding-model", embedder});
        auto result = run_process(talk(home, extra));
        ASSERT_EQ(result.exit_code, 0) << result.err;
        ASSERT_EQ(latest_turns(home, "default").size(), 2u);
        if (with_embedder)
            EXPECT_EQ(embed_backfill(home), 0) << "the spoken turns got their vectors when they were stored";
        else
            EXPECT_GT(embed_backfill(home), 0) << "without the model, the turns wait for the backfill";
    }

    auto missing = run_process(talk(dir / "bad", {"--input", question, "--embedding-model", (dir / "none.gguf").string()}));
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("--embedding-model"), std::string::npos) << missing.err;
}

TEST(TalkCli, ItsOwnVoiceEchoedIntoTheMicrophoneDoesNotCutItOff) {
    const fs::path dir = unique_temp_dir("talk-echo");
    const std::string question = recording(dir, "question.wav", "tell me a very long story about the sea");
    auto result = run_process(talk(dir / "home", {"--input", question, "--max-tokens", "120", "--echo", "0.8",
                                                  "--echo-delay", "30"}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json turn = nlohmann::json::parse(result.out);
    EXPECT_FALSE(turn["interrupted"].get<bool>()) << turn.dump();
    EXPECT_EQ(turn["spoken"].get<std::string>().empty(), turn["reply"].get<std::string>().empty());
}

TEST(TalkCli, SilenceIsNoTurnAndNoError) {
    const fs::path dir = unique_temp_dir("talk-silence");
    const fs::path quiet = dir / "quiet.wav";
    ASSERT_TRUE(voice::write_wav(quiet, silence(2000)));
    auto result = run_process(talk(dir / "home", {"--input", quiet.string()}));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json turn = nlohmann::json::parse(result.out);
    expect_exact_fields(turn);
    EXPECT_EQ(turn["transcript"], "");
    EXPECT_TRUE(latest_turns(dir / "home", "default").empty());
}

TEST(TalkCli, ABadRecordingIsAClearErrorBeforeAnyModelLoads) {
    const fs::path dir = unique_temp_dir("talk-bad");
    const fs::path bad = dir / "notes.wav";
    {
        std::ofstream(bad) << "these are not samples";
    }
    auto result = run_process(talk(dir / "home", {"--input", bad.string()}));
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(result.err.find("Loading"), std::string::npos) << "no model was loaded: " << result.err;
    EXPECT_NE(result.err.find("notes.wav"), std::string::npos) << result.err;
    EXPECT_TRUE(nlohmann::json::parse(result.out).contains("error"));
}

TEST(TalkCli, WithNoAudioDeviceItSaysSoAndOffersChat) {
    const fs::path dir = unique_temp_dir("talk-no-device");
    std::vector<std::string> args = {OS1_BINARY, "--home", (dir / "home").string(), "talk", "--model", model,
                                     "--no-learning"};
    auto result = run_process(args, {}, {{"SDL_AUDIODRIVER", "no-such-driver"}});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("os1 chat"), std::string::npos) << result.err;
}

// The live path, through SDL's "disk" driver: a real audio device that reads the microphone from
// a raw file and writes the speaker to another, in real time.
TEST(TalkCli, LiveTheMicrophoneIsHeardTheReplySpokenAndCtrlCEndsIt) {
    const fs::path dir = unique_temp_dir("talk-live");
    voice::AudioClip microphone =
        concatenate(concatenate(silence(500), flite_speech(dir, "what a lovely day it is", "rms")), silence(20000));
    const fs::path in = dir / "microphone.raw", out = dir / "speaker.raw";
    {
        std::ofstream file(in, std::ios::binary);
        file.write(reinterpret_cast<const char*>(microphone.samples.data()),
                   static_cast<std::streamsize>(microphone.samples.size() * sizeof(voice::Sample)));
    }
    std::vector<std::string> args = {OS1_BINARY, "--home", (dir / "home").string(), "talk", "--model", model,
                                     "--seed", "1", "-t", "1", "--no-learning", "--max-tokens", "12"};
    Subprocess talk(args, {},
                    {{"SDL_AUDIODRIVER", "disk"}, {"SDL_DISKAUDIOFILEIN", in.string()}, {"SDL_DISKAUDIOFILE", out.string()}});
    // "you › ..." when the turn starts, "<name> › ..." once the reply was spoken.
    const std::string shown = talk.wait_for_output([](const std::string& text) {
        const size_t you = text.find("you › ");
        return you != std::string::npos && text.find(" › ", text.find('\n', you)) != std::string::npos &&
               text.back() == '\n';
    });
    talk.signal(SIGINT);
    ProcessResult result = talk.finish();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    ASSERT_NE(shown.find("you › "), std::string::npos) << shown << result.err;

    const std::vector<memory::Turn> turns = latest_turns(dir / "home", "default");
    ASSERT_EQ(turns.size(), 2u) << shown;
    EXPECT_FALSE(turns[0].content.empty());
    EXPECT_FALSE(turns[1].content.empty());
    EXPECT_FALSE(turns[1].interrupted);
    EXPECT_GT(fs::file_size(out), 0u) << "the reply was played to the speaker";
}
