// The local inference engine. One thread owns the llama_context; it serves many
// conversations at once, each as its own sequence in the KV cache, and decodes them together
// in one batch per step (continuous batching: a reply joins and leaves the batch whenever it
// starts or ends). Callers render and count tokens on their own thread; the engine thread
// tokenizes what its cache lacks, decodes and samples.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "core/handles.h"
#include "llm/chat-template.h"
#include "llm/kv-file.h"
#include "llm/llm.h"
#include "llm/model-check.h"
#include "llm/parked-caches.h"
#include "llm/prompt-fit.h"
#include "llm/sampler.h"
#include "llm/stop-matcher.h"
#include "llm/token-counter.h"
#include "llm/tokens.h"
#include "core/utf8.h"

namespace os1::llm {

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// A submitted request, rendered and checked on the caller's thread.
struct Job {
    std::shared_ptr<Reply> reply;
    std::string conversation;
    std::string cache_owner;  // a one-off request's, see ChatRequest::cache_owner
    std::string prompt_text;  // the rendered prompt, BOS text included when the model adds one
    size_t shared_bytes = 0;  // how much of prompt_text may come from another conversation's cache
    int32_t prompt_tokens = 0;
    int32_t dropped_messages = 0;
    SamplingParams sampling;
    std::string grammar;
    std::vector<std::string> stop;
    Priority priority = Priority::Live;
    Clock::time_point submitted;
    Clock::time_point prepared;  // rendered, fitted and queued
    double render_ms = 0;
    double tokenize_ms = 0;
};

// One sequence of the KV cache. It belongs to a conversation between turns, so the next turn
// only prefills what is new.
struct Slot {
    llama_seq_id seq = 0;
    std::string conversation;          // empty: unowned
    // Whose text the cache holds (ChatRequest::cache_owner), if known. On an idle unowned slot,
    // the owner whose last one-off reply it keeps (empty: it keeps none).
    std::string owner;
    std::vector<llama_token> tokens;   // exactly the tokens in this sequence's cache
    std::vector<uint64_t> text_ends;   // end offset in `text` of each token
    std::string text;                  // what `tokens` spell, as rendered in prompts
    Clock::time_point last_used{};

    // The reply in progress, if any.
    std::unique_ptr<Job> job;
    std::vector<llama_token> prompt;   // tokens still to prefill
    size_t prompt_done = 0;
    std::optional<TokenSampler> sampler;
    Utf8Buffer utf8;
    StopMatcher stop;
    size_t reply_start = 0;            // offset in `text` where the reply begins
    std::string reply;                 // the reply's text as handed out so far
    llama_token next_token = LLAMA_TOKEN_NULL;  // sampled, not yet decoded
    std::string next_piece;
    int32_t logits_index = -1;         // row of this slot's logits in the last batch
    bool prefilled_in_batch = false;   // the last batch holds some of this slot's prompt
    ReplyStats stats;
    Clock::time_point prefill_start{};
    Clock::time_point decoded_at{};    // when the last batch holding this slot's logits was decoded
    Clock::time_point first_token_at{};

    bool busy() const { return job != nullptr; }

    void append(llama_token token, const std::string& piece) {
        tokens.push_back(token);
        text += piece;
        text_ends.push_back(text.size());
    }

    void truncate(size_t count) {
        tokens.resize(count);
        text_ends.resize(count);
        text.resize(count == 0 ? 0 : text_ends.back());
    }
};

class LocalEngine final : public Backend {
public:
    LocalEngine(LlamaModelPtr model, LlamaContextPtr context, const LocalEngineOptions& options)
        : m_model(std::move(model)), m_context(std::move(context)), m_vocab(llama_model_get_vocab(m_model.get())),
          m_template(ChatTemplate::for_model(m_model.get())), m_token_counter(m_vocab),
          m_batch_size(options.batch_size),
          m_context_per_sequence(int32_t(llama_n_ctx_seq(m_context.get()))), m_parked(options.parked_cache_bytes) {
        int32_t parallel = int32_t(llama_n_seq_max(m_context.get()));
        m_slots.resize(size_t(parallel));
        for (int32_t i = 0; i < parallel; ++i)
            m_slots[size_t(i)].seq = i;
        m_batch.reset(new llama_batch(llama_batch_init(m_batch_size, 0, 1)));
        if (llama_vocab_get_add_bos(m_vocab))
            m_bos_text = token_piece(m_vocab, llama_vocab_bos(m_vocab), Special::Render);

        char description[256] = {};
        llama_model_desc(m_model.get(), description, sizeof description);
        m_description = description;
        // A saved state fits only a cache of the same model, size and attention layout (flash
        // attention stores V untransposed).
        m_fingerprint = std::hash<std::string>{}(m_description + "|" + std::to_string(llama_model_n_params(m_model.get())) +
                                                 "|" + std::to_string(llama_model_size(m_model.get())) + "|" +
                                                 std::to_string(m_context_per_sequence) + "|" +
                                                 (uses_flash_attention(options) ? "fa" : "plain"));
        m_thread = std::thread([this] { run(); });
    }

    ~LocalEngine() override {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }

    std::shared_ptr<Reply> submit(ChatRequest request) override {
        auto reply = std::make_shared<Reply>();
        const Clock::time_point submitted = Clock::now();
        if (auto valid = request.validate(); valid.is_error()) {
            reply->fail(valid.error());
            return reply;
        }
        auto job = std::make_unique<Job>();
        job->reply = reply;
        job->conversation = std::move(request.conversation);
        job->cache_owner = std::move(request.cache_owner);
        job->sampling = request.sampling;
        job->grammar = std::move(request.grammar);
        job->stop = std::move(request.stop);
        job->priority = request.priority;
        job->submitted = submitted;
        if (auto prepared = prepare(*job, request.messages, request.shared_prefix); prepared.is_error()) {
            reply->fail(prepared.error());
            return reply;
        }
        job->prepared = Clock::now();
        {
            std::lock_guard lock(m_mutex);
            m_queue.push_back(std::move(job));
        }
        m_wake.notify_all();
        return reply;
    }

    BackendInfo info() const override {
        BackendInfo info;
        info.name = "local";
        info.model = m_description;
        info.chat_template = m_template.description();
        info.context_size = m_context_per_sequence;
        info.parallel = int32_t(m_slots.size());
        return info;
    }

    ErrorOr<void> save_conversation(const std::string& conversation, const std::filesystem::path& file) override {
        return run_on_engine<ErrorOr<void>>([&]() -> ErrorOr<void> {
            if (Slot* slot = find_slot(conversation); slot && !slot->tokens.empty())
                return write_kv_snapshot(file, snapshot_of(*slot));
            // Evicted to make room for another, its cache may wait in host memory.
            if (const ParkedCache* parked = m_parked.find(conversation))
                return write_kv_snapshot(file, parked->snapshot);
            return make_error(ErrorKind::NotFound, "conversation '" + conversation + "' has no cache to save");
        });
    }

    ErrorOr<bool> restore_conversation(const std::string& conversation, const std::filesystem::path& file) override {
        std::error_code ec;
        if (!std::filesystem::exists(file, ec))
            return false;
        KvSnapshot snapshot = OS1_TRY(read_kv_snapshot(file));
        if (snapshot.model_fingerprint != m_fingerprint || int64_t(snapshot.tokens.size()) >= m_context_per_sequence)
            return false;
        return run_on_engine<ErrorOr<bool>>([&]() -> ErrorOr<bool> {
            Job restoring;
            restoring.conversation = conversation;
            Slot* slot = claim_slot(restoring);
            if (!slot)
                return make_error("every sequence is busy; cannot restore conversation '" + conversation + "' now");
            if (!load_snapshot(*slot, std::move(snapshot))) {
                release(*slot);
                return make_error(file.string() + ": llama.cpp rejected the saved conversation state");
            }
            return true;
        });
    }

    void forget_conversation(const std::string& conversation) override {
        {
            std::lock_guard lock(m_mutex);
            m_dropped.erase(conversation);
        }
        m_token_counter.forget(conversation);
        run_on_engine<int>([&] {
            if (Slot* slot = find_slot(conversation); slot && !slot->busy())
                release(*slot);
            m_parked.forget(conversation);
            return 0;
        });
    }

private:
    // Caller thread: render, fit into the context, and check the request.
    ErrorOr<void> prepare(Job& job, const std::vector<Message>& messages, const std::string& shared_prefix) {
        int32_t already_dropped = 0;
        if (!job.conversation.empty()) {
            std::lock_guard lock(m_mutex);
            if (auto it = m_dropped.find(job.conversation); it != m_dropped.end())
                already_dropped = it->second;
        }
        std::string rendered;
        auto count_tokens = [&](const std::vector<Message>& candidate) -> ErrorOr<int32_t> {
            const Clock::time_point render_start = Clock::now();
            rendered = OS1_TRY(m_template.render(candidate, /*add_assistant=*/true));
            const Clock::time_point tokenize_start = Clock::now();
            const int32_t count = m_token_counter.count(job.conversation, rendered).tokens;
            job.render_ms += milliseconds_between(render_start, tokenize_start);
            job.tokenize_ms += milliseconds_between(tokenize_start, Clock::now());
            return count;
        };
        const int32_t reserve = std::min(std::max(job.sampling.max_tokens, 1), m_context_per_sequence / 4);
        FittedPrompt fitted = OS1_TRY(fit_prompt(messages, already_dropped, m_context_per_sequence - reserve,
                                                 m_context_per_sequence - 1, count_tokens));
        job.prompt_text = m_bos_text + rendered;
        job.shared_bytes = shared_prefix_bytes(messages, shared_prefix, job.prompt_text);
        job.prompt_tokens = fitted.tokens;
        job.dropped_messages = fitted.dropped - std::min(already_dropped, fitted.dropped);
        if (!job.conversation.empty()) {
            std::lock_guard lock(m_mutex);
            m_dropped[job.conversation] = fitted.dropped;
        }
        return {};
    }

    // How many leading bytes of `prompt_text` spell nothing but `shared_prefix`, as the template
    // renders it at the start of the system message: rendered alone, the prefix agrees with the
    // whole prompt exactly up to where the two part. Zero when the first message is not a system
    // message that starts with it.
    size_t shared_prefix_bytes(const std::vector<Message>& messages, const std::string& shared_prefix,
                               const std::string& prompt_text) const {
        if (shared_prefix.empty() || messages.empty() || messages.front().role != "system" ||
            !messages.front().content.starts_with(shared_prefix))
            return 0;
        auto alone = m_template.render({Message{"system", shared_prefix}}, /*add_assistant=*/false);
        if (alone.is_error())
            return 0;
        const std::string prefix_text = m_bos_text + *alone;
        return common_prefix_length(prefix_text, prompt_text);
    }

    static size_t common_prefix_length(std::string_view a, std::string_view b) {
        const auto [end_a, end_b] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
        return size_t(end_a - a.begin());
    }

    // Runs `task` on the engine thread between decode steps and returns its result.
    template <typename T>
    T run_on_engine(std::function<T()> task) {
        std::packaged_task<T()> packaged(std::move(task));
        std::future<T> result = packaged.get_future();
        {
            std::lock_guard lock(m_mutex);
            m_tasks.push_back([&packaged] { packaged(); });
        }
        m_wake.notify_all();
        return result.get();
    }

    Slot* find_slot(const std::string& conversation) {
        if (conversation.empty())
            return nullptr;
        for (Slot& slot : m_slots) {
            if (slot.conversation == conversation)
                return &slot;
        }
        return nullptr;
    }

    // With two or more slots, the last is kept for background work, so that fact extraction and
    // the like never evict a conversation's cache; live one-off requests may use it too.
    bool reserved_for_background(const Slot& slot) const {
        return m_slots.size() >= 2 && &slot == &m_slots.back();
    }

    // A slot for a job, or null when it must wait:
    // - a conversation: its own slot, else an unowned one, else an idle slot of the same owner
    //   (the user's older conversation: its cache is kept, and the new prompt starts from
    //   whatever the two share), else the least recently used idle conversation slot (whose
    //   cache is dropped); never the background slot;
    // - one-off live work: the idle slot holding its owner's last one-off cache that shares the
    //   most of its prompt, else an unowned idle slot, else the least recently used idle one;
    // - background work: an unowned idle slot (the background slot is always one); it never
    //   evicts a conversation, except with a single slot, which everything shares.
    // Among unowned slots, an empty one goes before one that holds a one-off cache.
    Slot* claim_slot(const Job& job) {
        const std::string& conversation = job.conversation;
        if (Slot* own = find_slot(conversation))
            return own->busy() ? nullptr : own;
        if (Slot* kept = owners_cache(job))
            return kept;
        const bool may_evict = job.priority == Priority::Live || m_slots.size() == 1;
        Slot* unowned = nullptr;
        Slot* least_recent = nullptr;
        Slot* same_owner = nullptr;
        size_t same_owner_shared = 0;
        for (Slot& slot : m_slots) {
            if (slot.busy() || (!conversation.empty() && reserved_for_background(slot)))
                continue;
            if (slot.conversation.empty()) {
                if (!unowned || (!unowned->owner.empty() && slot.owner.empty()))
                    unowned = &slot;
                continue;
            }
            if (!least_recent || slot.last_used < least_recent->last_used)
                least_recent = &slot;
            if (!conversation.empty() && !job.cache_owner.empty() && slot.owner == job.cache_owner) {
                const size_t shared = common_prefix_length(slot.text, job.prompt_text);
                if (!same_owner || shared > same_owner_shared) {
                    same_owner = &slot;
                    same_owner_shared = shared;
                }
            }
        }
        const bool parked = !conversation.empty() && m_parked.holds(conversation);
        if (!unowned && same_owner && may_evict && !parked) {
            park(*same_owner);
            same_owner->conversation = conversation;  // start() keeps what the prompts share
            return same_owner;
        }
        Slot* chosen = unowned ? unowned : (may_evict ? least_recent : nullptr);
        if (!chosen)
            return nullptr;
        park(*chosen);
        release(*chosen);
        chosen->conversation = conversation;
        if (parked)
            unpark(*chosen);
        return chosen;
    }

    // The slot's cache: its tokens, their text and llama.cpp's state of its sequence (empty
    // when llama.cpp gives none).
    KvSnapshot snapshot_of(const Slot& slot) const {
        KvSnapshot snapshot;
        snapshot.model_fingerprint = m_fingerprint;
        snapshot.tokens = slot.tokens;
        snapshot.text_ends = slot.text_ends;
        snapshot.text = slot.text;
        snapshot.state.resize(llama_state_seq_get_size(m_context.get(), slot.seq));
        snapshot.state.resize(
            llama_state_seq_get_data(m_context.get(), snapshot.state.data(), snapshot.state.size(), slot.seq));
        return snapshot;
    }

    // Loads a cache into the slot's sequence; false when llama.cpp refuses the state, leaving
    // the sequence empty.
    bool load_snapshot(Slot& slot, KvSnapshot snapshot) {
        if (llama_state_seq_set_data(m_context.get(), snapshot.state.data(), snapshot.state.size(), slot.seq) == 0)
            return false;
        slot.tokens = std::move(snapshot.tokens);
        slot.text_ends = std::move(snapshot.text_ends);
        slot.text = std::move(snapshot.text);
        return true;
    }

    // Copies an idle conversation's cache out of its sequence into host memory before the
    // sequence is given to another conversation.
    void park(const Slot& slot) {
        if (slot.conversation.empty() || slot.tokens.empty())
            return;
        ParkedCache cache{snapshot_of(slot), slot.owner};
        if (!cache.snapshot.state.empty())
            m_parked.park(slot.conversation, std::move(cache));
    }

    // Brings the slot's conversation's parked cache back into its empty sequence. If llama.cpp
    // refuses the state, the sequence stays empty and the prompt is computed.
    void unpark(Slot& slot) {
        std::optional<ParkedCache> cache = m_parked.take(slot.conversation);
        if (cache && load_snapshot(slot, std::move(cache->snapshot)))
            slot.owner = std::move(cache->owner);
    }

    // The idle slot with the cache of `job`'s owner's last one-off reply that shares the most of
    // its prompt, if any shares some.
    Slot* owners_cache(const Job& job) {
        if (!job.conversation.empty() || job.cache_owner.empty())
            return nullptr;
        Slot* best = nullptr;
        size_t best_shared = 0;
        for (Slot& slot : m_slots) {
            if (slot.busy() || !slot.conversation.empty() || slot.owner != job.cache_owner)
                continue;
            const size_t shared = common_prefix_length(slot.text, job.prompt_text);
            if (shared > best_shared) {
                best = &slot;
                best_shared = shared;
            }
        }
        return best;
    }

    void release(Slot& slot) {
        llama_memory_seq_rm(llama_get_memory(m_context.get()), slot.seq, -1, -1);
        slot.conversation.clear();
        slot.owner.clear();
        slot.truncate(0);
    }

    // Engine thread: reuse the longest cached prefix whose text matches the new prompt, then
    // queue the rest for prefill. Matching on text rather than tokens keeps the cache valid
    // even when a reply's tokens would tokenize differently if re-read.
    void start(Slot& slot, std::unique_ptr<Job> job) {
        const Clock::time_point started = Clock::now();
        const std::string& prompt = job->prompt_text;
        size_t keep = tokens_within(slot, common_prefix_length(slot.text, prompt));
        keep = std::max(keep, borrow_shared_prefix(slot, *job, keep));
        // At least one prompt token must be decoded to get logits for the first reply token.
        std::vector<llama_token> suffix;
        for (;;) {
            size_t text_start = keep == 0 ? 0 : slot.text_ends[keep - 1];
            std::string_view rest = std::string_view(prompt).substr(text_start);
            if (keep == 0 && !m_bos_text.empty() && rest.starts_with(m_bos_text))
                rest.remove_prefix(m_bos_text.size());
            suffix = tokenize(m_vocab, rest, keep == 0 ? AddSpecial::Yes : AddSpecial::No);
            if (!suffix.empty() || keep == 0)
                break;
            --keep;
        }
        llama_memory_seq_rm(llama_get_memory(m_context.get()), slot.seq, llama_pos(keep), -1);
        slot.truncate(keep);

        slot.stats = ReplyStats{};
        slot.stats.prompt_tokens = int32_t(keep + suffix.size());
        slot.stats.reused_tokens = int32_t(keep);
        slot.stats.prefill_tokens = int32_t(suffix.size());
        slot.stats.dropped_messages = job->dropped_messages;
        slot.stats.render_ms = job->render_ms;
        slot.stats.tokenize_ms = job->tokenize_ms;
        slot.stats.queue_ms = milliseconds_between(job->prepared, started);
        slot.prompt = std::move(suffix);
        slot.prompt_done = 0;
        auto sampler = TokenSampler::make(m_vocab, job->sampling, job->grammar);
        slot.utf8 = Utf8Buffer{};
        slot.stop = StopMatcher(std::move(job->stop));
        slot.reply.clear();
        slot.reply_start = 0;
        slot.next_token = LLAMA_TOKEN_NULL;
        slot.prefill_start = Clock::now();
        slot.stats.match_ms = milliseconds_between(started, slot.prefill_start);
        slot.owner = job->cache_owner;
        slot.job = std::move(job);
        if (sampler.is_error())
            return finish(slot, StopReason::Error, sampler.error().message);
        slot.sampler.emplace(sampler.release_value());
        if (int64_t(slot.tokens.size() + slot.prompt.size()) >= m_context_per_sequence)
            finish(slot, StopReason::ContextFull, "the prompt does not fit in the context");
    }

    // How many of the slot's cached tokens lie wholly within its first `bytes` bytes of text.
    static size_t tokens_within(const Slot& slot, size_t bytes) {
        return size_t(std::upper_bound(slot.text_ends.begin(), slot.text_ends.end(), uint64_t(bytes)) -
                      slot.text_ends.begin());
    }

    // When another slot already holds more of the job's prompt than `slot` keeps of its own,
    // copies that part of the other's cache into `slot` and returns its length in tokens;
    // otherwise returns 0 and leaves `slot` alone. The copy covers only text both prompts spell,
    // and of another owner's cache (or one of no known owner) only what the caller marked as
    // holding no user data (the shared prefix); of the same owner's, all the text they share
    // (a user's new conversation starts with what their last one's system message said). The
    // donor's cache is whole: start() runs before the next batch is filled, so every token it
    // lists has been decoded, and llama.cpp makes the copy at the next decode, before that
    // batch touches the donor.
    size_t borrow_shared_prefix(Slot& slot, const Job& job, size_t own_keep) {
        // Copying a sequence's cache costs about as much as decoding a few tokens.
        constexpr size_t k_min_borrowed_tokens = 16;
        const Slot* donor = nullptr;
        size_t best = own_keep + k_min_borrowed_tokens;
        for (const Slot& other : m_slots) {
            if (&other == &slot || other.tokens.empty())
                continue;
            const bool same_owner = !job.cache_owner.empty() && other.owner == job.cache_owner;
            const size_t shared = common_prefix_length(other.text, job.prompt_text);
            const size_t bytes = same_owner ? shared : std::min(shared, job.shared_bytes);
            const size_t tokens = tokens_within(other, bytes);
            if (tokens >= best) {
                donor = &other;
                best = tokens;
            }
        }
        if (!donor)
            return 0;
        llama_memory_t memory = llama_get_memory(m_context.get());
        llama_memory_seq_rm(memory, slot.seq, -1, -1);
        llama_memory_seq_cp(memory, donor->seq, slot.seq, -1, -1);
        llama_memory_seq_rm(memory, slot.seq, llama_pos(best), -1);
        slot.tokens.assign(donor->tokens.begin(), donor->tokens.begin() + ptrdiff_t(best));
        slot.text_ends.assign(donor->text_ends.begin(), donor->text_ends.begin() + ptrdiff_t(best));
        slot.text = donor->text.substr(0, slot.text_ends.back());
        return best;
    }

    void hand_out(Slot& slot, std::string text) {
        slot.reply += text;
        slot.job->reply->push_text(std::move(text));
    }

    // After a stop string: the cache keeps only tokens whose text the reply handed out, so that
    // it spells the conversation as the caller will store it (a token that reached into the stop
    // string goes; the next turn prefills from there).
    void keep_only_reply(Slot& slot) {
        const std::string_view generated =
            std::string_view(slot.text).substr(std::min(slot.reply_start, slot.text.size()));
        size_t common = 0;
        const size_t limit = std::min(generated.size(), slot.reply.size());
        while (common < limit && generated[common] == slot.reply[common])
            ++common;
        size_t keep = slot.tokens.size();
        while (keep > 0 && slot.text_ends[keep - 1] > slot.reply_start + common)
            --keep;
        llama_memory_seq_rm(llama_get_memory(m_context.get()), slot.seq, llama_pos(keep), -1);
        slot.truncate(keep);
    }

    void finish(Slot& slot, StopReason reason, const std::string& failure = {}) {
        if (!slot.stop.stopped()) {
            StopMatcher::Output tail = slot.stop.push(slot.utf8.flush());
            hand_out(slot, std::move(tail.text));
            hand_out(slot, slot.stop.flush());
            if (tail.stopped && (reason == StopReason::MaxTokens || reason == StopReason::ContextFull)) {
                keep_only_reply(slot);
                reason = StopReason::EndOfGeneration;
            }
        }
        ReplyStats& stats = slot.stats;
        stats.stop_reason = reason;
        if (stats.generated_tokens > 1 && stats.ttft_ms > 0) {
            double seconds = std::chrono::duration<double>(Clock::now() - slot.first_token_at).count();
            stats.gen_tps = seconds > 0 ? (stats.generated_tokens - 1) / seconds : 0;
        }
        const bool failed = !failure.empty() && reason != StopReason::ContextFull;
        if (failed)
            slot.job->reply->fail(failure, stats);
        else
            slot.job->reply->finish(stats);
        const std::string owner = slot.job->cache_owner;
        slot.job.reset();
        slot.sampler.reset();
        slot.prompt.clear();
        slot.last_used = Clock::now();
        // One-off requests leave nothing behind, unless their owner (slot.owner, set when the
        // job started) may continue from it.
        if (slot.conversation.empty() && (owner.empty() || failed))
            release(slot);
    }

    // Live jobs first, in order of arrival, then background ones. A job cancelled while it
    // waited ends here, without ever taking a slot.
    void assign_queued_jobs() {
        for (Priority pass : {Priority::Live, Priority::Background}) {
            for (auto it = m_queue.begin(); it != m_queue.end();) {
                Job& job = **it;
                if (job.reply->cancelled()) {
                    ReplyStats stats;
                    stats.stop_reason = StopReason::Cancelled;
                    job.reply->finish(stats);
                    it = m_queue.erase(it);
                    continue;
                }
                Slot* slot = job.priority == pass ? claim_slot(job) : nullptr;
                if (!slot) {
                    ++it;
                    continue;
                }
                std::unique_ptr<Job> taken = std::move(*it);
                it = m_queue.erase(it);
                start(*slot, std::move(taken));
            }
        }
    }

    // Fills the batch: every generating slot's next token first (they are latency-bound),
    // then prompt chunks from the slots that are prefilling, up to the batch size.
    void fill_batch() {
        llama_batch& batch = *m_batch;
        batch.n_tokens = 0;
        auto add = [&](Slot& slot, llama_token token, bool logits) {
            int32_t i = batch.n_tokens++;
            batch.token[i] = token;
            batch.pos[i] = llama_pos(slot.tokens.size());
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = slot.seq;
            batch.logits[i] = logits;
            if (logits)
                slot.logits_index = i;
        };
        for (Slot& slot : m_slots) {
            slot.logits_index = -1;
            slot.prefilled_in_batch = false;
            if (slot.busy() && slot.next_token != LLAMA_TOKEN_NULL) {
                add(slot, slot.next_token, true);
                slot.append(slot.next_token, slot.next_piece);
                slot.next_token = LLAMA_TOKEN_NULL;
            }
        }
        for (Slot& slot : m_slots) {
            while (slot.busy() && slot.prompt_done < slot.prompt.size() && batch.n_tokens < m_batch_size) {
                llama_token token = slot.prompt[slot.prompt_done++];
                slot.prefilled_in_batch = true;
                add(slot, token, slot.prompt_done == slot.prompt.size());
                slot.append(token, token_piece(m_vocab, token, Special::Render));
            }
        }
    }

    // Samples the slot's next token and hands out its text; returns why the reply ends, if it
    // does. The engine's own work per token, between two decodes.
    std::optional<StopReason> sample(Slot& slot) {
        const llama_token token = slot.sampler->sample(m_context.get(), slot.logits_index);
        Clock::time_point now = Clock::now();
        if (slot.stats.generated_tokens == 0) {
            slot.stats.prefill_ms = milliseconds_between(slot.prefill_start, slot.decoded_at);
            slot.stats.first_sample_ms = milliseconds_between(slot.decoded_at, now);
            slot.stats.ttft_ms = milliseconds_between(slot.job->submitted, now);
            slot.first_token_at = now;
            slot.reply_start = slot.text.size();
        }
        if (llama_vocab_is_eog(m_vocab, token))
            return StopReason::EndOfGeneration;
        ++slot.stats.generated_tokens;
        std::string piece = token_piece(m_vocab, token, Special::Plain);
        StopMatcher::Output output = slot.stop.push(slot.utf8.push(piece));
        hand_out(slot, std::move(output.text));
        if (output.stopped) {
            keep_only_reply(slot);
            return StopReason::EndOfGeneration;
        }
        if (slot.stats.generated_tokens >= slot.job->sampling.max_tokens)
            return StopReason::MaxTokens;
        if (int64_t(slot.tokens.size()) + 1 >= m_context_per_sequence)
            return StopReason::ContextFull;
        slot.next_token = token;
        slot.next_piece = std::move(piece);
        return std::nullopt;
    }

    void step() {
        for (Slot& slot : m_slots) {
            if (slot.busy() && slot.job->reply->cancelled())
                finish(slot, StopReason::Cancelled);
        }
        fill_batch();
        if (m_batch->n_tokens == 0)
            return;
        const int32_t graphs_reused = llama_perf_context(m_context.get()).n_reused;
        const Clock::time_point decode_start = Clock::now();
        int32_t status = llama_decode(m_context.get(), *m_batch);
        if (status != 0) {
            std::string message = "llama_decode failed with status " + std::to_string(status) +
                                  (status == 1 ? " (the KV cache is full)" : "");
            for (Slot& slot : m_slots) {
                if (slot.busy() && slot.logits_index >= 0) {
                    release(slot);
                    finish(slot, StopReason::Error, message);
                }
            }
            return;
        }
        // On a GPU llama_decode returns once the work is queued; wait for it, so that the prefill
        // time holds the computation and the first sample's time holds only the sampling.
        const Clock::time_point queued_at = Clock::now();
        llama_synchronize(m_context.get());
        const Clock::time_point decoded_at = Clock::now();
        // A decode of several ubatches counts as reusing when any of them did; a generation
        // decode is one ubatch, and so is a prompt chunk of one conversation.
        const bool graph_built = llama_perf_context(m_context.get()).n_reused == graphs_reused;
        for (Slot& slot : m_slots) {
            if (slot.busy() && slot.prefilled_in_batch)
                slot.stats.prefill_graph_builds += graph_built ? 1 : 0;
            if (slot.busy() && slot.logits_index >= 0) {
                if (slot.stats.generated_tokens > 0) {
                    ++slot.stats.token_decodes;
                    slot.stats.token_decode_ms += milliseconds_between(decode_start, queued_at);
                    slot.stats.token_wait_ms += milliseconds_between(queued_at, decoded_at);
                    slot.stats.token_graph_builds += graph_built ? 1 : 0;
                }
                slot.decoded_at = decoded_at;
                const Clock::time_point sample_start = Clock::now();
                const std::optional<StopReason> stop = sample(slot);
                slot.stats.sample_ms += milliseconds_between(sample_start, Clock::now());
                if (stop)
                    finish(slot, *stop);
            }
        }
    }

    void fail_in_flight(const std::string& message) {
        for (Slot& slot : m_slots) {
            if (slot.busy()) {
                release(slot);
                finish(slot, StopReason::Error, message);
            }
        }
    }

    void run() {
        for (;;) {
            std::deque<std::function<void()>> tasks;
            {
                std::unique_lock lock(m_mutex);
                auto active = [&] {
                    return std::any_of(m_slots.begin(), m_slots.end(), [](const Slot& s) { return s.busy(); });
                };
                m_wake.wait(lock, [&] { return m_stopping || !m_tasks.empty() || !m_queue.empty() || active(); });
                if (m_stopping)
                    break;
                tasks.swap(m_tasks);
                assign_queued_jobs();
            }
            // Nothing may escape the engine thread: a failure ends the replies in flight with
            // an internal error, and the engine goes on serving the next ones.
            try {
                for (auto& task : tasks)
                    task();
                step();
            } catch (const std::exception& exception) {
                fail_in_flight(std::string("internal error in the engine: ") + exception.what());
            } catch (...) {
                fail_in_flight("internal error in the engine");
            }
        }
        // Shutting down: end every reply so no consumer waits forever.
        std::lock_guard lock(m_mutex);
        for (Slot& slot : m_slots) {
            if (slot.busy())
                finish(slot, StopReason::Cancelled);
        }
        for (auto& job : m_queue)
            job->reply->fail("the engine shut down before this request started");
        for (auto& task : m_tasks)
            task();
    }

    LlamaModelPtr m_model;
    LlamaContextPtr m_context;
    const llama_vocab* m_vocab;
    ChatTemplate m_template;
    TokenCounter m_token_counter;  // counts each turn's prompt, tokenizing only what is new
    int32_t m_batch_size;
    int32_t m_context_per_sequence;
    std::string m_bos_text;
    std::string m_description;
    uint64_t m_fingerprint = 0;
    LlamaBatchPtr m_batch;
    std::vector<Slot> m_slots;  // engine thread only, except under m_mutex in assign_queued_jobs

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::unique_ptr<Job>> m_queue;
    std::deque<std::function<void()>> m_tasks;
    std::map<std::string, int32_t> m_dropped;  // per conversation: messages cut from the front
    ParkedCaches m_parked;  // engine thread only
    bool m_stopping = false;
    std::thread m_thread;
};

struct LoadProgress {
    const std::function<void(float)>* callback;
};

bool report_progress(float progress, void* user_data) {
    auto* load = static_cast<LoadProgress*>(user_data);
    if (*load->callback)
        (*load->callback)(progress);
    return true;
}

}  // namespace

bool runs_on_gpu(const LocalEngineOptions& options) {
    return options.gpu_layers != 0 && llama_supports_gpu_offload();
}

bool uses_flash_attention(const LocalEngineOptions& options) {
    return runs_on_gpu(options);
}

ErrorOr<std::unique_ptr<Backend>> open_local_engine(const LocalEngineOptions& options) {
    if (options.threads < 0 || options.threads > k_max_threads)
        return make_error(ErrorKind::InvalidInput, "threads " + std::to_string(options.threads) +
                                                       " is out of range; use 1 to " + std::to_string(k_max_threads) +
                                                       ", or 0 for all cores");
    OS1_TRY(check_model_file(options.model_path));
    static std::once_flag backend_initialised;
    std::call_once(backend_initialised, [] { llama_backend_init(); });

    LoadProgress progress{&options.on_load_progress};
    llama_model_params model_params = llama_model_default_params();
    model_params.n_gpu_layers = options.gpu_layers;
    model_params.progress_callback = report_progress;
    model_params.progress_callback_user_data = &progress;
    LlamaModelPtr model(llama_model_load_from_file(options.model_path.c_str(), model_params));
    if (!model)
        return make_error(options.model_path.string() +
                          ": llama.cpp could not load this model (unsupported architecture or corrupt tensors); "
                          "run with --verbose to see llama.cpp's log");

    const int32_t parallel = std::max(options.parallel, 1);
    const int32_t threads = options.threads > 0 ? options.threads : int32_t(std::max(1u, std::thread::hardware_concurrency()));
    llama_context_params context_params = llama_context_default_params();
    context_params.n_ctx = uint32_t(std::max(options.context_size, 64) * parallel);
    context_params.n_seq_max = uint32_t(parallel);
    context_params.n_batch = uint32_t(options.batch_size);
    context_params.n_ubatch = uint32_t(options.batch_size);
    context_params.n_threads = threads;
    context_params.n_threads_batch = threads;
    context_params.kv_unified = false;  // each conversation gets its own window of n_ctx / parallel
    context_params.flash_attn_type =
        uses_flash_attention(options) ? LLAMA_FLASH_ATTN_TYPE_AUTO : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    context_params.no_perf = true;
    LlamaContextPtr context(llama_init_from_model(model.get(), context_params));
    if (!context)
        return make_error(options.model_path.string() + ": could not create an inference context of " +
                          std::to_string(context_params.n_ctx) + " tokens (not enough memory?); try a smaller --ctx-size");
    return std::unique_ptr<Backend>(new LocalEngine(std::move(model), std::move(context), options));
}

}  // namespace os1::llm
