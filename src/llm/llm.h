// The inference layer: a Backend turns a conversation into a stream of reply text. Two
// backends exist: the local llama.cpp engine (one thread owns the llama_context and batches
// many conversations continuously) and a remote OpenAI-compatible server.
//
// Thread-safety: Backend::submit and Reply are safe to use from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "llm/embedder.h"

namespace os1::llm {

struct Message {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

// The most CPU threads the local engine accepts.
inline constexpr int32_t k_max_threads = 256;

// Greedy decoding when temperature is 0; a fixed seed makes sampling reproducible.
struct SamplingParams {
    float temperature = 0.7f;     // finite, >= 0
    float top_p = 0.95f;          // (0, 1]
    float min_p = 0.05f;          // [0, 1]
    float repeat_penalty = 1.1f;  // finite, > 0; 1: none
    int32_t repeat_last_n = 64;   // >= 0; 0: no penalty
    uint32_t seed = 0xFFFFFFFF;   // 0xFFFFFFFF: a random seed
    int32_t max_tokens = 512;     // >= 1

    // An ErrorKind::InvalidInput error naming the first value out of its range (NaN included).
    ErrorOr<void> validate() const;
};

enum class StopReason { EndOfGeneration, MaxTokens, Cancelled, ContextFull, Error };

const char* to_string(StopReason reason);

struct ReplyStats {
    int32_t prompt_tokens = 0;     // tokens in the prompt that was sent
    int32_t reused_tokens = 0;     // prompt tokens whose KV cache was reused from earlier turns
    int32_t prefill_tokens = 0;    // prompt tokens actually processed for this reply
    int32_t generated_tokens = 0;  // tokens sampled for the reply
    int32_t dropped_messages = 0;  // oldest messages left out so that the prompt fits the context
    double ttft_ms = 0;            // from submit() to the first reply token
    double prefill_ms = 0;         // time spent processing the prompt
    // Of a local engine's decodes of the prompt, those for which llama.cpp built a new graph.
    int32_t prefill_graph_builds = 0;
    // Where the time to the first token went, for a local engine: the caller's thread renders
    // the prompt and tokenizes it (to fit it into the context); the request then waits for a
    // sequence; the engine matches the cached prefix and tokenizes what is new, prefills it
    // (prefill_ms), and samples the first token.
    double render_ms = 0;
    double tokenize_ms = 0;
    double queue_ms = 0;
    double match_ms = 0;
    double first_sample_ms = 0;
    double gen_tps = 0;            // generated tokens per second after the first
    // A local engine's own work on this reply's tokens between decodes, summed: ranking and
    // sampling, detokenizing, stop strings, handing the text out. What a token costs beyond
    // llama.cpp's decode.
    double sample_ms = 0;
    // A local engine's decodes of this reply's tokens after the first, summed: the time inside
    // llama_decode (finding or building the graph, setting its inputs, then computing on a CPU
    // or queueing the work on a GPU), the time then waiting for the result (a GPU's
    // computation), and how many of them built a new graph instead of reusing llama.cpp's last
    // one. With the sampling above, these are where a generated token's time goes.
    int32_t token_decodes = 0;
    double token_decode_ms = 0;
    double token_wait_ms = 0;
    int32_t token_graph_builds = 0;
    StopReason stop_reason = StopReason::EndOfGeneration;
};

struct ReplyEvent {
    enum class Kind { Text, Done, Failed };
    Kind kind = Kind::Text;
    std::string text;   // Text: valid UTF-8 piece; Failed: the error message
    ReplyStats stats;   // Done and Failed: final statistics
    ErrorKind error = ErrorKind::Internal;  // Failed: what kind of failure
};

// One reply being generated. The consumer reads events in order; the backend produces them.
// After a Done or Failed event, next() keeps returning that terminal event.
class Reply {
public:
    // Blocks until the next event.
    ReplyEvent next();
    // Waits at most `timeout`; nullopt when nothing arrived in time.
    std::optional<ReplyEvent> next_for(std::chrono::milliseconds timeout);
    // Calls `watcher` whenever an event arrives, from the producing thread and with no lock
    // held, and once at once when events are already waiting; an asynchronous consumer then
    // reads them with next_for(0). Replaces the previous watcher. The watcher must not block.
    void watch(std::function<void()> watcher);
    // Asks the backend to stop; the reply then ends with StopReason::Cancelled.
    void cancel();
    bool cancelled() const;

    // Reads the whole reply; returns the text and fills `stats`, or the failure.
    ErrorOr<std::string> collect(ReplyStats* stats = nullptr);

    // Producer side, used by backends.
    void push_text(std::string text);
    void finish(const ReplyStats& stats);
    void fail(std::string message, const ReplyStats& stats = {});
    void fail(const Error& error, const ReplyStats& stats = {});

    Reply();
    ~Reply();
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// Stop strings a request may carry: at most this many, each 1 to k_max_stop_bytes bytes of
// valid UTF-8.
inline constexpr size_t k_max_stop_strings = 4;
inline constexpr size_t k_max_stop_bytes = 64;

// Live replies are served first; background work (fact extraction, appraisal, the journal)
// waits for them and never takes a conversation's cached slot.
enum class Priority { Live, Background };

struct ChatRequest {
    // Conversations with the same id share a KV cache across turns; empty means one-off.
    std::string conversation;
    std::vector<Message> messages;
    SamplingParams sampling;
    // Optional GBNF grammar (root rule "root") that the reply must follow, for structured
    // output such as JSON. The local engine enforces it while sampling.
    std::string grammar;
    // The reply ends where one of these first appears: its text stops just before the stop
    // string, which is never sent, and it ends with StopReason::EndOfGeneration.
    std::vector<std::string> stop;
    Priority priority = Priority::Live;
    // A leading part of the first (system) message that holds no user data, such as the persona
    // prompt. The local engine may copy its KV cache from another conversation whose prompt
    // starts the same way, instead of computing it again; nothing past it is ever shared.
    std::string shared_prefix;
    // Whose text the request's prompt holds (a server's user), so that caches are reused
    // within an owner only. A one-off request (no conversation): the next one-off request with
    // the same owner reuses the longest prefix its prompt shares with this one's cache, as a
    // chat client that resends its whole history each time expects; empty, the cache is dropped
    // after the reply. Any request: it may copy the longest prefix it shares with a cache of
    // the same owner, where with another owner's it may copy only the shared_prefix. A request
    // of another owner, or of none, never reuses more.
    std::string cache_owner;

    // An ErrorKind::InvalidInput error naming the first thing wrong: a sampling value out of
    // its range, too many stop strings, or one that is empty, too long or not UTF-8.
    ErrorOr<void> validate() const;
};

// A request for work the model does for os1 rather than a reply to the user (extracting facts,
// appraising, journaling, naming): `instructions` as the system message and `data` as the user
// message, greedy, under `grammar` when it is not empty, at background priority unless told.
ChatRequest task_request(std::string instructions, std::string data, std::string grammar, int32_t max_tokens,
                         Priority priority = Priority::Background);

struct BackendInfo {
    std::string name;             // "local" or "openai"
    std::string model;            // model description or remote model id
    std::string chat_template;    // template in use ("chatml", "llama3", ... or "remote")
    int32_t context_size = 0;     // tokens available to one conversation
    int32_t parallel = 1;         // conversations served at once
};

class Backend {
public:
    virtual ~Backend() = default;

    // Starts generating a reply; never blocks on generation. Errors arrive as a Failed event.
    virtual std::shared_ptr<Reply> submit(ChatRequest request) = 0;
    virtual BackendInfo info() const = 0;

    // KV persistence: saves a conversation's cache so a restart costs no re-prefill.
    virtual ErrorOr<void> save_conversation(const std::string& conversation, const std::filesystem::path& file);
    // Returns false (not an error) when the file is absent or belongs to another model.
    virtual ErrorOr<bool> restore_conversation(const std::string& conversation, const std::filesystem::path& file);
    // Drops a conversation's cache, for example after /reset.
    virtual void forget_conversation(const std::string& conversation);
};

struct LocalEngineOptions {
    std::filesystem::path model_path;
    int32_t context_size = 4096;  // tokens per conversation
    int32_t parallel = 4;         // conversations held in the KV cache and decoded together
    int32_t batch_size = 512;     // tokens per llama_decode call
    int32_t threads = 0;          // 1..k_max_threads; 0: all cores
    int32_t gpu_layers = -1;      // layers held on a GPU; negative: all of them (none without a GPU)
    // Host memory for the caches of conversations evicted from the KV cache to make room for
    // others, so that they come back without computing their prompts again; 0: none.
    size_t parked_cache_bytes = size_t(1) << 30;
    // Called during loading with progress in [0, 1].
    std::function<void(float)> on_load_progress;
};

// Whether layers run on a GPU: a GPU backend was built and found a device, and gpu_layers is
// not 0.
bool runs_on_gpu(const LocalEngineOptions& options);

// Whether the engine uses flash attention: llama.cpp's choice (on where the backend has it)
// when layers run on a GPU, and off on the CPU. There, with the model held in the cache of a
// conversation, llama.cpp's flash-attention kernel prefills a new message and generates more
// slowly than plain attention as the conversation grows (BENCHMARKS.md, "Inference engine").
bool uses_flash_attention(const LocalEngineOptions& options);

// Loads a GGUF model and starts the engine thread. Checks the file first, so a missing,
// truncated, foreign or oversized file gets a clear error instead of a crash.
ErrorOr<std::unique_ptr<Backend>> open_local_engine(const LocalEngineOptions& options);

struct OpenAIOptions {
    std::string base_url;        // for example http://127.0.0.1:8080/v1
    std::string api_key;         // optional bearer token
    std::string model;           // model id; empty: the first one the server lists
    int32_t context_size = 8192;
    std::chrono::seconds timeout{300};
};

// Connects to an OpenAI-compatible server (llama-server, vLLM, Ollama) and streams replies
// over server-sent events.
ErrorOr<std::unique_ptr<Backend>> open_openai_backend(const OpenAIOptions& options);

// Sends llama.cpp's own log, line by line ("llama.cpp: ..."), to `sink`; an empty sink (the
// default) silences it. Process-wide, like llama.cpp's logging itself.
void set_llama_logging(LogSink sink);

}  // namespace os1::llm
