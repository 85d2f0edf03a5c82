// The local engine on a generated model (real tokenizer, random weights): the mechanics of
// streaming, sampling, KV reuse, persistence, batching, cancellation and context overflow.
// Random weights produce gibberish, so nothing here asserts wording.
#include <gtest/gtest.h>

#include <chrono>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "core/handles.h"
#include "llm/kv-file.h"
#include "llm/llm.h"
#include "llm/model-check.h"
#include "core/utf8.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::llm;
namespace fs = std::filesystem;

namespace {

const fs::path qwen_model = fs::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf";
const fs::path llama_arch_model = fs::path(OS1_TEST_MODELS_DIR) / "tiny-llama-f16.gguf";

std::unique_ptr<Backend> open_engine(int32_t parallel = 1, int32_t context = 1024, const fs::path& model = qwen_model) {
    LocalEngineOptions options;
    options.model_path = model;
    options.parallel = parallel;
    options.context_size = context;
    options.threads = 1;  // ctest runs tests in parallel; spinning OpenMP threads must not oversubscribe
    auto engine = open_local_engine(options);
    EXPECT_TRUE(engine) << (engine ? "" : engine.error().message);
    return engine ? engine.release_value() : nullptr;
}

SamplingParams greedy(int32_t max_tokens) {
    SamplingParams params;
    params.temperature = 0;
    params.max_tokens = max_tokens;
    return params;
}

struct Result {
    std::string text;
    ReplyStats stats;
};

Result complete(Backend& engine, ChatRequest request) {
    Result result;
    auto text = engine.submit(std::move(request))->collect(&result.stats);
    EXPECT_TRUE(text) << (text ? "" : text.error().message);
    if (text)
        result.text = text.value();
    return result;
}

Result ask(Backend& engine, const std::string& conversation, std::vector<Message> messages, SamplingParams params) {
    return complete(engine, {conversation, std::move(messages), params});
}

// Token count of `text` when tokenized on its own (special tokens parsed, no BOS).
int32_t count_tokens(const std::string& text) {
    llama_model_params params = llama_model_default_params();
    params.vocab_only = true;
    LlamaModelPtr model(llama_model_load_from_file(qwen_model.c_str(), params));
    const llama_vocab* vocab = llama_model_get_vocab(model.get());
    return -llama_tokenize(vocab, text.data(), int32_t(text.size()), nullptr, 0, false, true);
}

class Engine : public ::testing::Test {
protected:
    static void SetUpTestSuite() { set_llama_logging({}); }
};

}  // namespace

TEST_F(Engine, StreamsValidUtf8PiecesAndReportsStats) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    const auto submitted = std::chrono::steady_clock::now();
    auto reply = engine->submit({"", {{"system", "Be brief."}, {"user", "Hello there"}}, greedy(24)});
    std::string text;
    int pieces = 0;
    for (;;) {
        ReplyEvent event = reply->next();
        if (event.kind == ReplyEvent::Kind::Text) {
            EXPECT_TRUE(is_valid_utf8(event.text));
            text += event.text;
            ++pieces;
            continue;
        }
        ASSERT_EQ(event.kind, ReplyEvent::Kind::Done) << event.text;
        EXPECT_GT(event.stats.prompt_tokens, 5);
        EXPECT_EQ(event.stats.prefill_tokens, event.stats.prompt_tokens);
        EXPECT_GT(event.stats.generated_tokens, 0);
        EXPECT_LE(event.stats.generated_tokens, 24);
        EXPECT_GT(event.stats.ttft_ms, 0);
        // Where the time to the first token went: every stage took some time, prefill most, and
        // together they fit within it (what is left is handing the request between threads).
        const ReplyStats& stats = event.stats;
        for (double stage : {stats.render_ms, stats.tokenize_ms, stats.queue_ms, stats.match_ms, stats.prefill_ms,
                             stats.first_sample_ms})
            EXPECT_GT(stage, 0);
        EXPECT_GT(stats.prefill_ms, stats.first_sample_ms);
        EXPECT_LE(stats.render_ms + stats.tokenize_ms + stats.queue_ms + stats.match_ms + stats.prefill_ms +
                      stats.first_sample_ms,
                  stats.ttft_ms);
        // The engine's own work per token was timed, and is a part of the reply's whole time.
        EXPECT_GT(stats.sample_ms, 0);
        const std::chrono::duration<double, std::milli> whole = std::chrono::steady_clock::now() - submitted;
        EXPECT_LT(stats.sample_ms, whole.count());
        // Every token after the first came from a decode of the one before, and so did the end
        // of generation. llama.cpp built a graph for the first of those decodes (the prefill's
        // had another shape) and reused it for the rest.
        const int32_t decodes =
            stats.generated_tokens - 1 + (stats.stop_reason == StopReason::EndOfGeneration ? 1 : 0);
        EXPECT_EQ(stats.token_decodes, decodes);
        if (decodes > 1) {
            EXPECT_GT(stats.token_decode_ms, 0);
            EXPECT_EQ(stats.token_graph_builds, 1);
        }
        EXPECT_GE(stats.token_wait_ms, 0);
        EXPECT_EQ(stats.prefill_graph_builds, 1);  // the prompt is one batch, and the first
        EXPECT_LT(stats.token_decode_ms + stats.token_wait_ms + stats.sample_ms, whole.count());
        break;
    }
    EXPECT_GT(pieces, 0);
}

TEST_F(Engine, GreedyAndSeededSamplingAreReproducible) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    std::vector<Message> messages{{"user", "Tell me a story"}};
    EXPECT_EQ(ask(*engine, "", messages, greedy(20)).text, ask(*engine, "", messages, greedy(20)).text);

    SamplingParams seeded;
    seeded.temperature = 1.0f;
    seeded.max_tokens = 20;
    seeded.seed = 1234;
    EXPECT_EQ(ask(*engine, "", messages, seeded).text, ask(*engine, "", messages, seeded).text);
}

TEST_F(Engine, LaterTurnsPrefillOnlyTheNewTokens) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    std::vector<Message> history{{"system", "You are a test companion."}};
    ReplyStats previous;
    for (int turn = 1; turn <= 5; ++turn) {
        std::string user_text = "This is message number " + std::to_string(turn) + ", how are you?";
        history.push_back({"user", user_text});
        Result result = ask(*engine, "conversation", history, greedy(12));
        const ReplyStats& stats = result.stats;
        EXPECT_EQ(stats.reused_tokens + stats.prefill_tokens, stats.prompt_tokens);
        if (turn == 1) {
            EXPECT_EQ(stats.reused_tokens, 0);
        } else {
            // The previous reply's last token was sampled but never decoded when it stopped on
            // max_tokens; it is the only old token that must be prefilled again.
            int32_t carried = previous.stop_reason == StopReason::MaxTokens ? 1 : 0;
            int32_t expected = count_tokens("<|im_end|>\n<|im_start|>user\n" + user_text +
                                            "<|im_end|>\n<|im_start|>assistant\n") + carried;
            EXPECT_EQ(stats.prefill_tokens, expected) << "turn " << turn;
            EXPECT_EQ(stats.reused_tokens, previous.prompt_tokens + previous.generated_tokens - carried)
                << "turn " << turn;
        }
        history.push_back({"assistant", result.text});
        previous = stats;
    }
}

TEST_F(Engine, ConcurrentConversationsEachMatchTheirSoloOutput) {
    auto engine = open_engine(4);
    ASSERT_TRUE(engine);
    const std::vector<std::string> prompts = {"What is the weather like?", "Write a haiku about autumn leaves",
                                              "Count from one to ten", "Why is the sky blue? Explain simply."};
    std::vector<std::string> solo;
    for (const std::string& prompt : prompts)
        solo.push_back(ask(*engine, "", {{"user", prompt}}, greedy(32)).text);

    std::vector<std::shared_ptr<Reply>> replies;
    for (size_t i = 0; i < prompts.size(); ++i)
        replies.push_back(engine->submit({"c" + std::to_string(i), {{"user", prompts[i]}}, greedy(32)}));
    for (size_t i = 0; i < prompts.size(); ++i) {
        auto text = replies[i]->collect();
        ASSERT_TRUE(text) << text.error().message;
        EXPECT_EQ(text.value(), solo[i]) << "conversation " << i << " changed when batched with others";
    }
}

// A prefix marked as holding no user data (the persona) is copied from another conversation's
// cache instead of being computed again, and nothing past it is: two users whose prompts agree
// further (here, the same name) still share only the marked part. The reply is the one the
// prompt gets when computed from nothing.
TEST_F(Engine, ConversationsShareOnlyTheMarkedPrefixAndReplyAsIfAlone) {
    auto engine = open_engine(3);
    ASSERT_TRUE(engine);
    const std::string persona =
        "You are Juniper, the user's companion. Be warm and genuinely curious about the user. Have your own views "
        "and give them honestly, with reasons; disagree when you disagree. Keep replies short.";
    auto request = [&](const std::string& conversation, bool mark) {
        ChatRequest out{conversation,
                        {{"system", persona + "\nThe user likes to be called Robin Quill."},
                         {"user", "Hello there, how are you today?"}},
                        greedy(16)};
        if (mark)
            out.shared_prefix = persona;
        return out;
    };
    auto run = [&](ChatRequest r) { return complete(*engine, std::move(r)); };
    const Result alone = run(request("", false));
    const Result first = run(request("user-a", true));
    EXPECT_EQ(first.stats.reused_tokens, 0) << "nothing was cached yet";
    const Result second = run(request("user-b", true));
    const int32_t prefix_tokens = count_tokens("<|im_start|>system\n" + persona);
    EXPECT_GE(second.stats.reused_tokens, prefix_tokens - 2) << "the persona was computed again";
    EXPECT_LE(second.stats.reused_tokens, prefix_tokens) << "text past the marked prefix was shared";
    EXPECT_EQ(second.stats.reused_tokens + second.stats.prefill_tokens, second.stats.prompt_tokens);
    EXPECT_EQ(second.text, alone.text) << "a borrowed cache changed the reply";
    const Result unmarked = run(request("user-c", false));
    EXPECT_EQ(unmarked.stats.reused_tokens, 0) << "a prompt with no shared prefix borrowed a cache";
    EXPECT_EQ(unmarked.text, alone.text);
}

// A user's new conversation starts from what their earlier one computed (its whole system
// message, not only the marked persona), whether that conversation still holds its slot or
// gives it up; another user's conversation with the very same system message borrows only the
// persona.
TEST_F(Engine, ANewConversationStartsFromItsOwnersEarlierOnesOnly) {
    const std::string persona =
        "You are Juniper, the user's companion. Be warm and genuinely curious about the user. Have your own views "
        "and give them honestly, with reasons; disagree when you disagree. Keep replies short.";
    const std::string system = persona + "\nThe user likes to be called Robin Quill and lives by the sea.";
    auto request = [&](const std::string& conversation, const std::string& owner, const std::string& said) {
        ChatRequest out{conversation, {{"system", system}, {"user", said}}, greedy(8)};
        out.shared_prefix = persona;
        out.cache_owner = owner;
        return out;
    };
    const int32_t persona_tokens = count_tokens("<|im_start|>system\n" + persona);
    const int32_t system_tokens = count_tokens("<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\n");
    for (const int32_t parallel : {3, 2}) {  // a free slot for the new conversation, or none
        SCOPED_TRACE(parallel == 3 ? "a free slot" : "the earlier conversation's slot");
        auto engine = open_engine(parallel);
        ASSERT_TRUE(engine);
        auto run = [&](ChatRequest r) { return complete(*engine, std::move(r)); };
        const Result first = run(request("ada/1", "user:ada", "Hello there, how are you today?"));
        EXPECT_EQ(first.stats.reused_tokens, 0);
        const Result alone = run(request("", "", "What shall we cook tonight?"));
        const Result second = run(request("ada/2", "user:ada", "What shall we cook tonight?"));
        EXPECT_GE(second.stats.reused_tokens, system_tokens - 2) << "the owner's system message was computed again";
        EXPECT_EQ(second.stats.reused_tokens + second.stats.prefill_tokens, second.stats.prompt_tokens);
        EXPECT_EQ(second.text, alone.text) << "the reused cache changed the reply";
        const Result stranger = run(request("bob/1", "user:bob", "What shall we cook tonight?"));
        EXPECT_LE(stranger.stats.reused_tokens, persona_tokens) << "another owner's text past the persona was reused";
        EXPECT_EQ(stranger.text, alone.text);
    }
}

// More live conversations than sequences: the one evicted to make room is parked in host memory
// and comes back whole, computing only its new message; and one forgotten while parked comes
// back with nothing.
TEST_F(Engine, AnEvictedConversationComesBackFromHostMemory) {
    auto engine = open_engine(2);  // one sequence for conversations, one kept for background work
    ASSERT_TRUE(engine);
    auto turn = [&](const std::string& conversation, std::vector<Message>& history, const std::string& said) {
        history.push_back({"user", said});
        Result result = ask(*engine, conversation, history, greedy(8));
        history.push_back({"assistant", result.text});
        return result.stats;
    };
    std::vector<Message> ada{{"system", "You are Ada's companion."}};
    std::vector<Message> bob{{"system", "You are Bob's companion."}};
    const ReplyStats ada_first = turn("ada/1", ada, "Hello, I am Ada and I like the sea.");
    turn("bob/1", bob, "Hello, I am Bob and I like the mountains.");  // takes ada's sequence
    const ReplyStats ada_back = turn("ada/1", ada, "Tell me about the tides.");
    EXPECT_GE(ada_back.reused_tokens, ada_first.prompt_tokens) << "ada's conversation was computed again";
    EXPECT_EQ(ada_back.reused_tokens + ada_back.prefill_tokens, ada_back.prompt_tokens);

    turn("bob/1", bob, "And about the peaks?");  // ada is parked again
    // Parked, it is still saved for the engine's next run.
    const fs::path file = os1::test::unique_temp_dir("engine-parked") / "ada.kv";
    ASSERT_TRUE(engine->save_conversation("ada/1", file)) << "a parked conversation was not saved";
    {
        auto next_run = open_engine(2);
        ASSERT_TRUE(next_run);
        auto restored = next_run->restore_conversation("ada/1", file);
        ASSERT_TRUE(restored && restored.value());
        std::vector<Message> resumed = ada;
        resumed.push_back({"user", "And the moon?"});
        const Result again = ask(*next_run, "ada/1", resumed, greedy(8));
        EXPECT_GE(again.stats.reused_tokens, ada_back.prompt_tokens) << "the saved cache was incomplete";
    }
    engine->forget_conversation("ada/1");
    const ReplyStats ada_forgotten = turn("ada/1", ada, "Do you remember me?");
    EXPECT_EQ(ada_forgotten.reused_tokens, 0) << "a forgotten conversation's cache came back";
}

// A parked conversation may come back into another sequence than the one it left: its cache,
// copied cell for cell, must answer exactly as if it had never left.
TEST_F(Engine, AParkedConversationAnswersTheSameInAnotherSequence) {
    const std::vector<Message> first{{"system", "You are Ada's companion."},
                                     {"user", "Hello, I am Ada and I like the sea."}};
    auto second_turn = [&first](const std::string& reply) {
        std::vector<Message> messages = first;
        messages.push_back({"assistant", reply});
        messages.push_back({"user", "Tell me about the tides."});
        return messages;
    };
    auto never_left = open_engine(4);
    ASSERT_TRUE(never_left);
    const Result reference_first = ask(*never_left, "ada/1", first, greedy(8));
    const Result reference = ask(*never_left, "ada/1", second_turn(reference_first.text), greedy(8));

    auto engine = open_engine(3);  // two sequences for conversations
    ASSERT_TRUE(engine);
    const Result ada_first = ask(*engine, "ada/1", first, greedy(8));  // sequence 0
    ASSERT_EQ(ada_first.text, reference_first.text);
    ask(*engine, "bob/1", {{"user", "Hello, I am Bob."}}, greedy(8));     // sequence 1
    ask(*engine, "carol/1", {{"user", "Hello, I am Carol."}}, greedy(8));  // parks ada, takes sequence 0
    const Result back = ask(*engine, "ada/1", second_turn(ada_first.text), greedy(8));  // parks bob: sequence 1
    EXPECT_GE(back.stats.reused_tokens, ada_first.stats.prompt_tokens) << "ada's conversation was computed again";
    EXPECT_EQ(back.stats.reused_tokens, reference.stats.reused_tokens);
    EXPECT_EQ(back.text, reference.text);
}

// A one-off request (a chat client that resends its whole history, on the model's own id)
// continues from its owner's last one-off reply, and only its owner's: another owner's request
// with the same prompt computes everything, and gets the reply computed from nothing. (The
// owner's reply is not compared with it: tokens decoded one at a time and in one prefill batch
// round differently, and the random weights' near-even logits flip on that, as a conversation's
// next turn does.)
TEST_F(Engine, OneOffRequestsContinueOnlyFromTheirOwnersCache) {
    auto engine = open_engine(3);
    ASSERT_TRUE(engine);
    std::vector<Message> history{{"system", "You are a helpful assistant who answers briefly."},
                                 {"user", "Name three rivers of Europe, please."}};
    auto run = [&](const std::vector<Message>& messages, const std::string& owner) {
        ChatRequest request{"", messages, greedy(12)};
        request.cache_owner = owner;
        return complete(*engine, std::move(request));
    };
    const Result first = run(history, "user:ada");
    EXPECT_EQ(first.stats.reused_tokens, 0);
    history.push_back({"assistant", first.text});
    history.push_back({"user", "And three mountains?"});

    const Result alone = run(history, "");
    EXPECT_EQ(alone.stats.reused_tokens, 0) << "a request without an owner used a kept cache";
    const Result stranger = run(history, "user:bob");
    EXPECT_EQ(stranger.stats.reused_tokens, 0) << "another owner's cache was used";
    const Result again = run(history, "user:ada");
    EXPECT_GE(again.stats.reused_tokens, first.stats.prompt_tokens) << "the owner's history was computed again";
    EXPECT_EQ(again.stats.reused_tokens + again.stats.prefill_tokens, again.stats.prompt_tokens);
    EXPECT_EQ(again.stats.stop_reason, StopReason::MaxTokens);
    EXPECT_EQ(stranger.text, alone.text);
}

TEST_F(Engine, CancelStopsTheReplyNotTheEngine) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    auto reply = engine->submit({"", {{"user", "Talk forever"}}, greedy(100000)});
    ASSERT_EQ(reply->next().kind, ReplyEvent::Kind::Text);
    reply->cancel();
    ReplyStats stats;
    ASSERT_TRUE(reply->collect(&stats));
    EXPECT_EQ(stats.stop_reason, StopReason::Cancelled);
    EXPECT_LT(stats.generated_tokens, 100000);
    // The engine still serves the next request.
    EXPECT_EQ(ask(*engine, "", {{"user", "Still there?"}}, greedy(4)).stats.stop_reason, StopReason::MaxTokens);
}

TEST_F(Engine, SavedConversationResumesWithoutReprefill) {
    const fs::path file = os1::test::unique_temp_dir("engine-resume") / "ada.kv";
    std::vector<Message> history{{"system", "You remember."}, {"user", "My name is Ada and I like tea."}};
    Result first;
    {
        auto engine = open_engine();
        ASSERT_TRUE(engine);
        first = ask(*engine, "ada", history, greedy(10));
        ASSERT_TRUE(engine->save_conversation("ada", file)) << "save failed";
    }
    history.push_back({"assistant", first.text});
    history.push_back({"user", "What do I like?"});

    auto engine = open_engine();
    ASSERT_TRUE(engine);
    auto restored = engine->restore_conversation("ada", file);
    ASSERT_TRUE(restored) << restored.error().message;
    ASSERT_TRUE(restored.value());
    Result second = ask(*engine, "ada", history, greedy(10));
    EXPECT_GE(second.stats.reused_tokens, first.stats.prompt_tokens + first.stats.generated_tokens - 1);
    EXPECT_LT(second.stats.prefill_tokens, 20);
}

TEST_F(Engine, RestoreRejectsCorruptAndForeignCaches) {
    const fs::path dir = os1::test::unique_temp_dir("engine-restore");
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    ask(*engine, "x", {{"user", "hello"}}, greedy(4));
    ASSERT_TRUE(engine->save_conversation("x", dir / "good.kv"));

    std::ofstream(dir / "garbage.kv") << "this is not a cache";
    auto garbage = engine->restore_conversation("y", dir / "garbage.kv");
    ASSERT_TRUE(garbage.is_error());
    EXPECT_NE(garbage.error().message.find("wrong magic"), std::string::npos);

    fs::copy_file(dir / "good.kv", dir / "cut.kv", fs::copy_options::overwrite_existing);
    fs::resize_file(dir / "cut.kv", fs::file_size(dir / "good.kv") / 2);
    auto cut = engine->restore_conversation("y", dir / "cut.kv");
    ASSERT_TRUE(cut.is_error());
    EXPECT_NE(cut.error().message.find("corrupt or truncated"), std::string::npos);

    auto absent = engine->restore_conversation("y", dir / "absent.kv");
    ASSERT_TRUE(absent);
    EXPECT_FALSE(absent.value());

    auto other = open_engine(1, 1024, llama_arch_model);
    ASSERT_TRUE(other);
    auto foreign = other->restore_conversation("x", dir / "good.kv");
    ASSERT_TRUE(foreign);
    EXPECT_FALSE(foreign.value()) << "a cache from another model must not be loaded";
}

TEST_F(Engine, OverflowDropsOldestTurnsButKeepsTheSystemPrompt) {
    auto engine = open_engine(1, 256);
    ASSERT_TRUE(engine);
    std::vector<Message> history{{"system", "SYSTEM PROMPT STAYS"}};
    for (int i = 0; i < 30; ++i) {
        history.push_back({"user", "Here is an older message with several words, number " + std::to_string(i)});
        history.push_back({"assistant", "And an older reply to it, also with words " + std::to_string(i)});
    }
    history.push_back({"user", "And now the newest question?"});
    Result result = ask(*engine, "long", history, greedy(8));
    EXPECT_GT(result.stats.dropped_messages, 0);
    EXPECT_LE(result.stats.prompt_tokens, 256 - 8);
    EXPECT_NE(result.stats.stop_reason, StopReason::Error);

    // The next turn keeps the same cut, so the cache stays reusable.
    history.push_back({"assistant", result.text});
    history.push_back({"user", "One more?"});
    Result next = ask(*engine, "long", history, greedy(8));
    EXPECT_EQ(next.stats.dropped_messages, 0);
    EXPECT_GT(next.stats.reused_tokens, 0);
}

TEST_F(Engine, InputLongerThanTheContextIsAClearError) {
    auto engine = open_engine(1, 256);
    ASSERT_TRUE(engine);
    std::string huge;
    for (int i = 0; i < 400; ++i)
        huge += "word" + std::to_string(i) + " ";
    auto text = engine->submit({"", {{"user", huge}}, greedy(8)})->collect();
    ASSERT_TRUE(text.is_error());
    EXPECT_NE(text.error().message.find("longer than the whole context"), std::string::npos) << text.error().message;
}

TEST_F(Engine, InvalidSamplingFailsTheRequestBeforeSampling) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    SamplingParams bad = greedy(8);
    bad.top_p = -1;
    ReplyStats stats;
    auto text = engine->submit({"", {{"user", "hello"}}, bad})->collect(&stats);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().kind, os1::ErrorKind::InvalidInput);
    EXPECT_NE(text.error().message.find("top_p -1"), std::string::npos) << text.error().message;
    EXPECT_EQ(stats.generated_tokens, 0);
    // The engine still serves valid requests afterwards.
    EXPECT_FALSE(ask(*engine, "", {{"user", "hello"}}, greedy(4)).text.empty());
}

TEST_F(Engine, ThreadCountsOutOfRangeAreRefusedBeforeLoading) {
    for (int32_t threads : {-1, 10000}) {
        LocalEngineOptions options;
        options.model_path = qwen_model;
        options.threads = threads;
        auto engine = open_local_engine(options);
        ASSERT_TRUE(engine.is_error()) << threads;
        EXPECT_EQ(engine.error().kind, os1::ErrorKind::InvalidInput);
        EXPECT_NE(engine.error().message.find("threads " + std::to_string(threads) + " is out of range"),
                  std::string::npos)
            << engine.error().message;
    }
}

TEST_F(Engine, BadModelFilesGetClearErrors) {
    const fs::path dir = os1::test::unique_temp_dir("engine-bad-models");
    auto message_for = [](const fs::path& path) {
        LocalEngineOptions options;
        options.model_path = path;
        auto engine = open_local_engine(options);
        EXPECT_TRUE(engine.is_error());
        return engine.is_error() ? engine.error().message : std::string();
    };
    EXPECT_NE(message_for(dir / "missing.gguf").find("not found"), std::string::npos);

    std::ofstream(dir / "wrong-magic.gguf") << "PK\x03\x04 this is a zip file, not a model";
    EXPECT_NE(message_for(dir / "wrong-magic.gguf").find("wrong magic"), std::string::npos);

    {
        std::ofstream random(dir / "random.gguf", std::ios::binary);
        std::mt19937 rng(7);
        for (int i = 0; i < 1 << 16; ++i)
            random.put(char(rng()));
    }
    EXPECT_NE(message_for(dir / "random.gguf").find("not a GGUF"), std::string::npos);

    fs::copy_file(qwen_model, dir / "truncated.gguf", fs::copy_options::overwrite_existing);
    fs::resize_file(dir / "truncated.gguf", fs::file_size(qwen_model) * 2 / 3);
    EXPECT_NE(message_for(dir / "truncated.gguf").find("truncated"), std::string::npos);

    fs::copy_file(qwen_model, dir / "header-only.gguf", fs::copy_options::overwrite_existing);
    fs::resize_file(dir / "header-only.gguf", 64);
    EXPECT_NE(message_for(dir / "header-only.gguf").find("corrupt or truncated"), std::string::npos);
}

TEST_F(Engine, ModelLargerThanMemoryIsRefusedBeforeLoading) {
    auto info = check_model_file(qwen_model, /*available_memory_bytes=*/1024 * 1024);
    ASSERT_TRUE(info.is_error());
    EXPECT_NE(info.error().message.find("of memory but only"), std::string::npos) << info.error().message;
    EXPECT_TRUE(check_model_file(qwen_model));
}

TEST_F(Engine, GrammarConstrainsTheReply) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    ChatRequest request{"", {{"user", "Answer yes or no"}}, greedy(16)};
    request.grammar = R"(root ::= "{\"answer\": " ("\"yes\"" | "\"no\"") "}")";
    auto text = engine->submit(request)->collect();
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_TRUE(text.value() == R"({"answer": "yes"})" || text.value() == R"({"answer": "no"})") << text.value();

    request.grammar = "root ::= this is not gbnf (";
    auto broken = engine->submit(request)->collect();
    ASSERT_TRUE(broken.is_error());
    EXPECT_NE(broken.error().message.find("grammar does not parse"), std::string::npos);
}

namespace {

// A few whole characters from the middle of `text`, starting `shift` characters later.
std::string middle_of(const std::string& text, size_t shift = 0) {
    auto continues = [&](size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
    size_t from = text.size() / 2;
    for (size_t skipped = 0; skipped <= shift && from < text.size(); ++skipped) {
        if (skipped > 0)
            ++from;
        while (continues(from))
            ++from;
    }
    size_t to = std::min(text.size(), from + 6);
    while (continues(to))
        ++to;
    return text.substr(from, to - from);
}

}  // namespace

TEST_F(Engine, AStopStringEndsTheReplyJustBeforeIt) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    const std::vector<Message> messages{{"user", "Tell me a long story"}};
    SamplingParams params = greedy(48);
    params.seed = 7;
    Result whole = ask(*engine, "", messages, params);
    ASSERT_GE(whole.text.size(), 16u) << whole.text;
    const std::string stop = middle_of(whole.text);
    ASSERT_FALSE(stop.empty());

    ChatRequest request{"", messages, params};
    request.stop = {"never in this reply \x01", stop};
    ReplyStats stats;
    auto cut = engine->submit(request)->collect(&stats);
    ASSERT_TRUE(cut) << cut.error().message;
    EXPECT_EQ(cut.value(), whole.text.substr(0, whole.text.find(stop))) << "stop string: \"" << stop << "\"";
    EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration);
    EXPECT_LT(stats.generated_tokens, whole.stats.generated_tokens);

    // The engine serves the next request as before.
    EXPECT_EQ(ask(*engine, "", messages, params).text, whole.text);
}

TEST_F(Engine, AReplyCutByAStopStringLeavesTheCacheAsTheConversationStoresIt) {
    std::vector<Message> history{{"system", "You are a test companion."}, {"user", "Describe your day in detail"}};
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    Result whole = ask(*engine, "", history, greedy(40));
    ASSERT_GE(whole.text.size(), 16u) << whole.text;

    // Stop strings starting at a few places: where one starts inside a token that was decoded,
    // that token reached into the stop string, and the cache must give it up.
    const std::string assistant = "<|im_start|>assistant\n";
    const fs::path dir = os1::test::unique_temp_dir("engine-stop");
    bool gave_up_a_token = false;
    std::string cut;
    ReplyStats cut_stats;
    for (size_t shift = 0; shift < 4; ++shift) {
        ChatRequest request{"day", history, greedy(40)};
        request.stop = {middle_of(whole.text, shift)};
        auto text = engine->submit(request)->collect(&cut_stats);
        ASSERT_TRUE(text) << text.error().message;
        ASSERT_EQ(cut_stats.stop_reason, StopReason::EndOfGeneration);
        cut = text.value();

        // What the cache holds after the prompt is a prefix of the reply as handed out.
        const fs::path file = dir / ("day-" + std::to_string(shift) + ".kv");
        ASSERT_TRUE(engine->save_conversation("day", file));
        auto snapshot = read_kv_snapshot(file);
        ASSERT_TRUE(snapshot) << snapshot.error().message;
        const size_t reply_at = snapshot.value().text.rfind(assistant);
        ASSERT_NE(reply_at, std::string::npos) << snapshot.value().text;
        const std::string cached = snapshot.value().text.substr(reply_at + assistant.size());
        EXPECT_TRUE(cut.starts_with(cached)) << "cached: \"" << cached << "\", reply: \"" << cut << "\"";
        gave_up_a_token = gave_up_a_token || cached.size() < cut.size();
    }
    EXPECT_TRUE(gave_up_a_token) << "no stop string started inside a decoded token; pick others";

    // The conversation stores the reply as it was handed out, and goes on. The cache keeps the
    // prompt and the reply's tokens before the stop string: never the token that completed it
    // (sampled, not decoded) nor the one that reached into it, so the text the next prompt
    // spells matches what the cache holds up to there, and the rest is prefilled.
    history.push_back({"assistant", cut});
    const std::string user_text = "And then what happened?";
    history.push_back({"user", user_text});
    Result next = ask(*engine, "day", history, greedy(16));
    EXPECT_NE(next.stats.stop_reason, StopReason::Error);
    EXPECT_GE(next.stats.reused_tokens, cut_stats.prompt_tokens) << "the prompt's cache was lost";
    EXPECT_LE(next.stats.reused_tokens, cut_stats.prompt_tokens + cut_stats.generated_tokens - 1);
    EXPECT_EQ(next.stats.reused_tokens + next.stats.prefill_tokens, next.stats.prompt_tokens);
    EXPECT_GE(next.stats.prefill_tokens,
              count_tokens("<|im_end|>\n<|im_start|>user\n" + user_text + "<|im_end|>\n<|im_start|>assistant\n"));

    // And the turn after that reuses everything up to its own new message.
    history.push_back({"assistant", next.text});
    history.push_back({"user", "Go on."});
    Result after = ask(*engine, "day", history, greedy(8));
    EXPECT_GE(after.stats.reused_tokens, next.stats.prompt_tokens);
}

TEST_F(Engine, InvalidStopStringsFailTheRequest) {
    auto engine = open_engine();
    ASSERT_TRUE(engine);
    ChatRequest request{"", {{"user", "hello"}}, greedy(4)};
    request.stop = {std::string(65, 'x')};
    auto text = engine->submit(request)->collect();
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().kind, os1::ErrorKind::InvalidInput);
    EXPECT_NE(text.error().message.find("65 bytes long"), std::string::npos) << text.error().message;
}

TEST_F(Engine, BackgroundWorkNeverEvictsAConversationsCache) {
    auto engine = open_engine(/*parallel=*/2);
    ASSERT_TRUE(engine);
    std::vector<Message> first = {{"system", "You are kind."}, {"user", "Tell me about the sea"}};
    Result opened = ask(*engine, "alice/1", first, greedy(8));
    ASSERT_EQ(opened.stats.reused_tokens, 0);

    // Several background requests, one after another, all go to the slot kept for them.
    for (int i = 0; i < 3; ++i) {
        ChatRequest background = task_request("Extract facts.", "note " + std::to_string(i), "", 4);
        auto text = engine->submit(std::move(background))->collect();
        ASSERT_TRUE(text) << text.error().message;
    }
    // The conversation's next turn still finds its cache.
    std::vector<Message> next = first;
    next.push_back({"assistant", opened.text});
    next.push_back({"user", "And the mountains?"});
    Result resumed = ask(*engine, "alice/1", next, greedy(4));
    EXPECT_GT(resumed.stats.reused_tokens, 0) << "a background request evicted the conversation";
}

TEST_F(Engine, ACancelledRequestThatNeverStartedEndsWithoutASlot) {
    auto engine = open_engine(/*parallel=*/1);
    ASSERT_TRUE(engine);
    // The only slot is busy with a long reply, so the second request waits in the queue.
    auto running = engine->submit({"a", {{"user", "Talk for a long time"}}, greedy(100000)});
    ASSERT_EQ(running->next().kind, ReplyEvent::Kind::Text);
    auto waiting = engine->submit({"b", {{"user", "hello"}}, greedy(8)});
    waiting->cancel();
    running->cancel();
    ReplyStats running_stats;
    ASSERT_TRUE(running->collect(&running_stats));
    if (running_stats.stop_reason != StopReason::Cancelled)
        GTEST_SKIP() << "the first reply ended on its own before the second was cancelled";
    ReplyStats stats;
    auto text = waiting->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(stats.stop_reason, StopReason::Cancelled);
    EXPECT_EQ(stats.generated_tokens, 0);
    EXPECT_TRUE(text.value().empty());
}
