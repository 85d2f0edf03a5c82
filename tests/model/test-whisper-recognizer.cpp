// whisper.cpp as the speech recogniser, on a whisper model that `os1 dev make-whisper-model`
// generates (GPT-2's real tokenizer and whisper's mel filters, random weights): it loads and runs
// on llama.cpp's ggml (test-whisper-cli runs it beside a llama model, in os1 talk); its words keep
// the recogniser's contract (lower case, no punctuation, no sound marks); silence costs nothing
// and is no words; a long utterance is transcribed chunk by chunk as it arrives; recognisers
// sharing one model on two threads give what each gives alone; a missing, foreign or damaged model
// is a clear error, never a crash. The words themselves are nonsense (random weights); their
// accuracy is measured on a real model with `os1 bench voice-stt --stt whisper`.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "support/recognition.h"
#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/recognizer-factory.h"
#include "voice/whisper-recognizer.h"

using namespace os1;
using namespace os1::voice;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path k_model = fs::path(OS1_TEST_MODELS_DIR) / "whisper-test.bin";

std::shared_ptr<WhisperModel> load(WhisperOptions options = {}) {
    options.model = options.model.empty() ? k_model : options.model;
    auto model = WhisperModel::load(options);
    EXPECT_TRUE(model) << model.error().message;
    return model ? *model : nullptr;
}

// Lower-case letters, digits, apostrophes and UTF-8 bytes, in words joined by single spaces.
bool keeps_the_contract(const std::string& words) {
    if (!words.empty() && (words.front() == ' ' || words.back() == ' '))
        return false;
    if (words.find("  ") != std::string::npos)
        return false;
    for (char c : words) {
        const auto byte = static_cast<unsigned char>(c);
        if (!(std::islower(byte) || std::isdigit(byte) || c == '\'' || c == ' ' || byte >= 0x80))
            return false;
    }
    return true;
}

ErrorOr<std::shared_ptr<WhisperModel>> load_file(const fs::path& file) {
    WhisperOptions options;
    options.model = file;
    return WhisperModel::load(options);
}

}  // namespace

TEST(WhisperRecognizer, TranscribesSpeechIntoPlainLowerCaseWords) {
    const auto dir = test::unique_temp_dir("whisper-words");
    auto model = load();
    ASSERT_TRUE(model);
    EXPECT_TRUE(model->english_only());
    auto recognizer = WhisperRecognizer::open(model);
    ASSERT_TRUE(recognizer) << recognizer.error().message;
    const AudioClip said = test::flite_speech(dir, "Could you remind me to call my sister tomorrow evening.");
    const std::string heard = test::transcribe(**recognizer, said);
    std::printf("heard \"%s\"\n", heard.c_str());
    EXPECT_FALSE(heard.empty());  // random weights still write words (nonsense ones)
    EXPECT_TRUE(keeps_the_contract(heard)) << heard;
    // Greedy decoding: the same audio gives the same words.
    EXPECT_EQ(test::transcribe(**recognizer, said), heard);
}

TEST(WhisperRecognizer, SilenceIsNoWordsAndIsNotDecoded) {
    auto model = load();
    ASSERT_TRUE(model);
    auto recognizer = WhisperRecognizer::open(model);
    ASSERT_TRUE(recognizer);
    // Whisper left to itself writes words for silence; these never reach it.
    EXPECT_EQ(test::transcribe(**recognizer, test::silence(3000)), "");
    EXPECT_EQ(test::transcribe(**recognizer, AudioClip{}), "");
}

TEST(WhisperRecognizer, ALongUtteranceIsTranscribedChunkByChunkAsItArrives) {
    const auto dir = test::unique_temp_dir("whisper-chunks");
    // Chunks of 2 to 4 s here stand for the default 20 to 28 s, so that the test stays short.
    WhisperOptions options;
    options.chunk_at_pause = 2s;
    options.chunk_limit = 4s;
    auto model = load(options);
    ASSERT_TRUE(model);
    auto recognizer = WhisperRecognizer::open(model);
    ASSERT_TRUE(recognizer);
    AudioClip first = test::flite_speech(dir, "I have been reading a good book about the history of tea.", "rms");
    first = test::concatenate(first, test::silence(500));
    const AudioClip second = test::flite_speech(dir, "My train was late again this morning.", "rms");
    ASSERT_GT(first.duration(), 2s);

    ASSERT_TRUE((*recognizer)->begin());
    EXPECT_EQ((*recognizer)->partial(), "");
    ASSERT_TRUE((*recognizer)->feed(first.samples));
    // The pause after the first sentence closed a chunk, and it was transcribed then.
    const std::string after_first = (*recognizer)->partial();
    EXPECT_FALSE(after_first.empty());
    ASSERT_TRUE((*recognizer)->feed(second.samples));
    auto words = (*recognizer)->finish();
    ASSERT_TRUE(words) << words.error().message;
    // The whole utterance's words begin with the first chunk's, and the last chunk added more.
    EXPECT_EQ(words->rfind(after_first + " ", 0), 0u) << *words;
    EXPECT_EQ((*recognizer)->partial(), "");
}

TEST(WhisperRecognizer, RecognisersSharingAModelOnTwoThreadsHearWhatEachHearsAlone) {
    const auto dir = test::unique_temp_dir("whisper-threads");
    auto model = load();
    ASSERT_TRUE(model);
    const AudioClip a = test::flite_speech(dir, "The weather is lovely today, so I might go for a walk.");
    const AudioClip b = test::flite_speech(dir, "My train was late again this morning.", "awb");
    auto first = WhisperRecognizer::open(model);
    auto second = WhisperRecognizer::open(model);
    ASSERT_TRUE(first && second);
    const std::string alone_a = test::transcribe(**first, a);
    const std::string alone_b = test::transcribe(**second, b);
    ASSERT_NE(alone_a, alone_b);
    std::string together_a, together_b;
    std::thread other([&] { together_b = test::transcribe(**second, b); });
    together_a = test::transcribe(**first, a);
    other.join();
    EXPECT_EQ(together_a, alone_a);
    EXPECT_EQ(together_b, alone_b);
}

TEST(WhisperRecognizer, MisuseIsAConflict) {
    auto model = load();
    ASSERT_TRUE(model);
    auto recognizer = WhisperRecognizer::open(model);
    ASSERT_TRUE(recognizer);
    const std::vector<Sample> audio(1600);
    auto outside = (*recognizer)->feed(audio);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().kind, ErrorKind::Conflict);
    EXPECT_FALSE((*recognizer)->finish());
}

TEST(WhisperRecognizer, AMissingForeignOrDamagedModelIsAClearError) {
    const fs::path dir = test::unique_temp_dir("whisper-bad-models");

    auto missing = load_file(dir / "ggml-base.en.bin");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
    EXPECT_NE(missing.error().message.find("os1 pull whisper-base.en"), std::string::npos) << missing.error().message;

    auto chat_model = load_file(fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf");
    ASSERT_FALSE(chat_model);
    EXPECT_EQ(chat_model.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(chat_model.error().message.find("not a whisper.cpp model"), std::string::npos);

    std::ifstream in(k_model, std::ios::binary);
    const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(whole.size(), 4u << 20);
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return dir / name;
    };
    // Cut off in its weights, as an interrupted copy would be.
    auto truncated = load_file(write("truncated.bin", whole.substr(0, whole.size() / 2)));
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().kind, ErrorKind::Corrupt);
    // Cut off after its vocabulary, or its header: whisper.cpp alone would take either for an
    // empty model and run on whatever memory held.
    const size_t vocabulary_end = whole.find("<|endoftext|>") + std::string("<|endoftext|>").size();
    ASSERT_NE(vocabulary_end, std::string::npos);
    for (const auto& [name, length] : {std::pair<const char*, size_t>{"no-weights.bin", vocabulary_end},
                                       {"header.bin", 64}, {"magic.bin", 4}}) {
        auto cut = load_file(write(name, whole.substr(0, length)));
        ASSERT_FALSE(cut) << name;
        EXPECT_EQ(cut.error().kind, ErrorKind::Corrupt) << name << ": " << cut.error().message;
    }
    // A vocabulary entry claiming 4 GB (whisper.cpp alone would allocate and read it). The
    // vocabulary follows the 12 words of magic and header, the mel filters' two sizes and their
    // 80 x 201 floats, and its own count.
    std::string huge_token = whole;
    const size_t first_token_length = 4 * 12 + 4 * 2 + 4 * 80 * 201 + 4;
    for (size_t i = 0; i < 4; ++i)
        huge_token[first_token_length + i] = static_cast<char>(0xff);
    auto huge = load_file(write("huge-token.bin", huge_token));
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().kind, ErrorKind::Corrupt);
    auto text = load_file(write("notes.bin", "these are not weights"));
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().kind, ErrorKind::InvalidInput);
}

TEST(WhisperRecognizer, TheFactoryOpensOneRecogniserPerStreamOnOneLoadedModel) {
    RecognizerSettings settings;
    settings.engine = SpeechEngine::Whisper;
    settings.whisper.model = k_model;
    auto factory = RecognizerFactory::prepare(settings);
    ASSERT_TRUE(factory) << factory.error().message;
    EXPECT_EQ(factory->engine(), SpeechEngine::Whisper);
    auto first = factory->open();
    auto second = factory->open();
    ASSERT_TRUE(first && second);
    EXPECT_NE(dynamic_cast<WhisperRecognizer*>(first->get()), nullptr);
    EXPECT_NE(first->get(), second->get());

    settings.whisper.model = fs::path(OS1_TEST_MODELS_DIR) / "absent.bin";
    EXPECT_FALSE(RecognizerFactory::prepare(settings));
}
