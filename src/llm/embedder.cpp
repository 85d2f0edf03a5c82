// The GGUF embedder: a llama.cpp context with embeddings on, a unified KV cache shared by up to
// texts_per_batch sequences, and pooling done by llama.cpp (the model's own, else mean).
#include "llm/embedder.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <thread>

#include "core/handles.h"
#include "llm/model-check.h"
#include "llm/tokens.h"

namespace os1::llm {

namespace {

const char* pooling_name(enum llama_pooling_type pooling) {
    switch (pooling) {
        case LLAMA_POOLING_TYPE_MEAN:
            return "mean";
        case LLAMA_POOLING_TYPE_CLS:
            return "cls";
        case LLAMA_POOLING_TYPE_LAST:
            return "last";
        case LLAMA_POOLING_TYPE_RANK:
            return "rank";
        case LLAMA_POOLING_TYPE_NONE:
            return "none";
        case LLAMA_POOLING_TYPE_UNSPECIFIED:
            break;
    }
    return "unspecified";
}

class GgufEmbedder final : public Embedder {
public:
    GgufEmbedder(LlamaModelPtr model, LlamaContextPtr context, std::string fingerprint, int32_t max_tokens)
        : m_model(std::move(model)),
          m_context(std::move(context)),
          m_vocab(llama_model_get_vocab(m_model.get())),
          m_fingerprint(std::move(fingerprint)),
          m_dimension(llama_model_n_embd_out(m_model.get())),
          m_batch_tokens(int32_t(llama_n_batch(m_context.get()))),
          m_max_sequences(int32_t(llama_n_seq_max(m_context.get()))),
          m_max_tokens(std::min(max_tokens, m_batch_tokens)),
          m_batch(llama_batch_init(m_batch_tokens, 0, 1)) {}

    ~GgufEmbedder() override { llama_batch_free(m_batch); }

    ErrorOr<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override {
        std::vector<std::vector<llama_token>> tokenized;
        tokenized.reserve(texts.size());
        for (size_t i = 0; i < texts.size(); ++i) {
            std::vector<llama_token> tokens = tokenize(m_vocab, texts[i], AddSpecial::Yes);
            if (tokens.empty())
                return make_error("embedding: text " + std::to_string(i + 1) + " is empty");
            if (int32_t(tokens.size()) > m_max_tokens)
                tokens.resize(size_t(m_max_tokens));
            tokenized.push_back(std::move(tokens));
        }
        std::lock_guard lock(m_mutex);
        std::vector<std::vector<float>> out;
        out.reserve(texts.size());
        size_t next = 0;
        while (next < tokenized.size()) {
            // As many whole texts as fit in one batch; each is its own sequence.
            size_t end = next;
            int32_t tokens = 0;
            while (end < tokenized.size() && int32_t(end - next) < m_max_sequences &&
                   tokens + int32_t(tokenized[end].size()) <= m_batch_tokens)
                tokens += int32_t(tokenized[end++].size());
            OS1_TRY(decode(tokenized, next, end, out));
            next = end;
        }
        return out;
    }

    int32_t dimension() const override { return m_dimension; }
    const std::string& fingerprint() const override { return m_fingerprint; }

private:
    ErrorOr<void> decode(const std::vector<std::vector<llama_token>>& tokenized, size_t begin, size_t end,
                         std::vector<std::vector<float>>& out) {
        // Every text starts at position 0 of an empty cache: embeddings carry no history.
        llama_memory_clear(llama_get_memory(m_context.get()), true);
        m_batch.n_tokens = 0;
        for (size_t t = begin; t < end; ++t) {
            const llama_seq_id seq = llama_seq_id(t - begin);
            for (size_t pos = 0; pos < tokenized[t].size(); ++pos) {
                const int32_t i = m_batch.n_tokens++;
                m_batch.token[i] = tokenized[t][pos];
                m_batch.pos[i] = llama_pos(pos);
                m_batch.n_seq_id[i] = 1;
                m_batch.seq_id[i][0] = seq;
                m_batch.logits[i] = true;  // pooling reads every token's output
            }
        }
        if (llama_decode(m_context.get(), m_batch) != 0)
            return make_error("embedding: llama.cpp could not decode a batch of " + std::to_string(m_batch.n_tokens) +
                              " tokens");
        for (size_t t = begin; t < end; ++t) {
            const float* pooled = llama_get_embeddings_seq(m_context.get(), llama_seq_id(t - begin));
            if (!pooled)
                return make_error("embedding: llama.cpp returned no pooled embedding");
            std::vector<float> vector(pooled, pooled + m_dimension);
            for (float x : vector)
                if (!std::isfinite(x))
                    return make_error("embedding: the model produced a non-finite value (corrupt weights?)");
            normalize_l2(vector);
            out.push_back(std::move(vector));
        }
        return {};
    }

    LlamaModelPtr m_model;
    LlamaContextPtr m_context;
    const llama_vocab* m_vocab;
    std::string m_fingerprint;
    int32_t m_dimension;
    int32_t m_batch_tokens;
    int32_t m_max_sequences;
    int32_t m_max_tokens;
    llama_batch m_batch;
    std::mutex m_mutex;
};

LlamaContextPtr make_context(llama_model* model, enum llama_pooling_type pooling, int32_t sequences,
                             int32_t batch_tokens, int32_t threads) {
    llama_context_params params = llama_context_default_params();
    params.embeddings = true;
    params.pooling_type = pooling;
    params.n_ctx = uint32_t(batch_tokens);
    params.n_batch = uint32_t(batch_tokens);
    params.n_ubatch = uint32_t(batch_tokens);  // non-causal models need a whole batch in one ubatch
    params.n_seq_max = uint32_t(sequences);
    params.kv_unified = true;  // the texts of one batch share the cache; it is cleared before each batch
    params.n_threads = threads;
    params.n_threads_batch = threads;
    params.no_perf = true;
    return LlamaContextPtr(llama_init_from_model(model, params));
}

}  // namespace

void normalize_l2(std::vector<float>& vector) {
    double sum = 0;
    for (float x : vector)
        sum += double(x) * double(x);
    if (sum <= 0)
        return;
    const float scale = float(1.0 / std::sqrt(sum));
    for (float& x : vector)
        x *= scale;
}

ErrorOr<std::unique_ptr<Embedder>> open_embedder(const EmbedderOptions& options) {
    const ModelFileInfo info = OS1_TRY(check_model_file(options.model_path));
    static std::once_flag backend_initialised;
    std::call_once(backend_initialised, [] { llama_backend_init(); });

    llama_model_params model_params = llama_model_default_params();
    model_params.n_gpu_layers = options.gpu_layers;
    LlamaModelPtr model(llama_model_load_from_file(options.model_path.c_str(), model_params));
    if (!model)
        return make_error(options.model_path.string() +
                          ": llama.cpp could not load this embedding model (unsupported architecture or corrupt "
                          "tensors); run with --verbose to see llama.cpp's log");
    if (llama_model_has_encoder(model.get()) && llama_model_has_decoder(model.get()))
        return make_error(options.model_path.string() +
                          ": encoder-decoder models (T5 and such) cannot give embeddings; use an embedding model "
                          "such as a BERT, nomic-bert or Qwen3-Embedding GGUF");

    const int32_t threads =
        options.threads > 0 ? options.threads : int32_t(std::max(1u, std::thread::hardware_concurrency()));
    const int32_t sequences = std::clamp(options.texts_per_batch, 1, 64);
    const int32_t max_tokens = std::clamp(options.max_tokens, 8, std::max(8, llama_model_n_ctx_train(model.get())));
    // Room for every sequence of a batch at full length, so one long text never stalls a batch.
    const int32_t batch_tokens = std::max(max_tokens, std::min(max_tokens * sequences, 4096));

    LlamaContextPtr context =
        make_context(model.get(), LLAMA_POOLING_TYPE_UNSPECIFIED, sequences, batch_tokens, threads);
    if (context && llama_pooling_type(context.get()) == LLAMA_POOLING_TYPE_NONE)  // a chat model: mean-pool it
        context = make_context(model.get(), LLAMA_POOLING_TYPE_MEAN, sequences, batch_tokens, threads);
    if (!context)
        return make_error(options.model_path.string() + ": could not create an embedding context of " +
                          std::to_string(batch_tokens) + " tokens (not enough memory?)");
    const enum llama_pooling_type pooling = llama_pooling_type(context.get());
    if (pooling == LLAMA_POOLING_TYPE_RANK)
        return make_error(options.model_path.string() +
                          ": this is a reranking model (rank pooling), not an embedding model");

    const int32_t dimension = llama_model_n_embd_out(model.get());
    std::string fingerprint = options.model_path.filename().string() + ":" + std::to_string(info.file_bytes) + ":" +
                              std::to_string(dimension) + ":" + pooling_name(pooling);
    return std::unique_ptr<Embedder>(
        new GgufEmbedder(std::move(model), std::move(context), std::move(fingerprint), max_tokens));
}

}  // namespace os1::llm
