// `os1 dev`: developer tools. `os1 dev make-model` writes GGUF models with a real tokenizer and
// seeded random weights, the inputs of the model tests and benchmarks; `os1 dev
// make-whisper-model` does the same for whisper.cpp speech recognition models.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <unistd.h>

#include "cli/commands.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "dev/model-maker.h"
#include "dev/whisper-model-maker.h"
#include "llm/llm.h"

namespace os1::cli {

namespace {

struct MakeModelArgs {
    std::string preset;
    std::string arch = "qwen2";
    std::string quant = "f16";
    uint64_t seed = 0;
    std::string out;
    std::string vocab_dir;
    int32_t threads = 0;
};

struct MakeWhisperModelArgs {
    std::string preset;
    uint64_t seed = 0;
    std::string out;
    std::string vocab_dir;
};

constexpr uint64_t mib = 1024 * 1024;
// Files smaller than this are written too fast for progress to be worth showing.
constexpr uint64_t progress_threshold = 256 * mib;

// Prints progress on stderr: a line that updates in place on a terminal, else one line per 10%.
class ProgressPrinter {
public:
    explicit ProgressPrinter(std::string quant) : m_quant(std::move(quant)), m_tty(::isatty(STDERR_FILENO) == 1) {}

    void operator()(const dev::MakeModelProgress& progress) {
        if (progress.stage == dev::MakeModelStage::Quantizing) {
            if (progress.done == 0 && m_shown)
                std::fprintf(stderr, "quantizing to %s...\n", m_quant.c_str());
            return;
        }
        if (progress.total < progress_threshold)
            return;
        const int percent = int(progress.done * 100 / progress.total);
        const bool finished = progress.done == progress.total;
        if (m_tty ? percent == m_last_percent && !finished : percent / 10 == m_last_percent / 10 && m_shown)
            return;
        m_last_percent = percent;
        m_shown = true;
        std::fprintf(stderr, "%swriting f16 weights: %3d%% (%llu of %llu MiB)%s", m_tty ? "\r" : "", percent,
                     static_cast<unsigned long long>(progress.done / mib),
                     static_cast<unsigned long long>(progress.total / mib), m_tty && !finished ? "" : "\n");
        std::fflush(stderr);
    }

private:
    std::string m_quant;
    bool m_tty;
    bool m_shown = false;
    int m_last_percent = -1;
};

int usage_error(const char* command, const Error& error) {
    std::fprintf(stderr, "os1 dev %s: %s\n", command, terminal_text(error.message).c_str());
    return 2;
}

int run_make_model(const MakeModelArgs& args, const GlobalOptions& global) {
    const auto preset = dev::parse_model_preset(args.preset);
    const auto arch = dev::parse_model_arch(args.arch);
    const auto quant = dev::parse_model_quant(args.quant);
    if (!preset)
        return usage_error("make-model", preset.error());
    if (!arch)
        return usage_error("make-model", arch.error());
    if (!quant)
        return usage_error("make-model", quant.error());

    llm::set_llama_logging(llama_log_sink(global.verbose));
    dev::MakeModelOptions options;
    options.preset = preset.value();
    options.arch = arch.value();
    options.quant = quant.value();
    options.seed = args.seed;
    options.out = args.out;
    options.vocab_dir = args.vocab_dir;
    options.threads = args.threads;
    auto printer = std::make_shared<ProgressPrinter>(args.quant);
    options.on_progress = [printer](const dev::MakeModelProgress& progress) { (*printer)(progress); };

    const auto start = std::chrono::steady_clock::now();
    const auto made = dev::make_model(options);
    if (!made) {
        std::fprintf(stderr, "os1 dev make-model: %s\n", terminal_text(made.error().message).c_str());
        return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(options.out, ec);
    std::fprintf(stderr, "wrote %s (%s %s %s, seed %llu, %.1f MiB) in %.1f s\n", args.out.c_str(), args.preset.c_str(),
                 args.arch.c_str(), args.quant.c_str(), static_cast<unsigned long long>(args.seed),
                 ec ? 0.0 : double(size) / double(mib), seconds);
    return 0;
}

int run_make_whisper_model(const MakeWhisperModelArgs& args) {
    const auto preset = dev::parse_whisper_preset(args.preset);
    if (!preset)
        return usage_error("make-whisper-model", preset.error());

    dev::MakeWhisperModelOptions options;
    options.preset = preset.value();
    options.seed = args.seed;
    options.out = args.out;
    options.vocab_dir = args.vocab_dir;

    const auto start = std::chrono::steady_clock::now();
    const auto made = dev::make_whisper_model(options);
    if (!made) {
        std::fprintf(stderr, "os1 dev make-whisper-model: %s\n", terminal_text(made.error().message).c_str());
        return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(options.out, ec);
    std::fprintf(stderr, "wrote %s (whisper %s f16, seed %llu, %.1f MiB) in %.1f s\n", args.out.c_str(),
                 args.preset.c_str(), static_cast<unsigned long long>(args.seed), ec ? 0.0 : double(size) / double(mib),
                 seconds);
    return 0;
}

}  // namespace

void register_dev(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* dev = app.add_subcommand("dev", "Developer tools");
    dev->require_subcommand(1);

    auto args = std::make_shared<MakeModelArgs>();
    CLI::App* make = dev->add_subcommand(
        "make-model", "Write a GGUF model with a real tokenizer and seeded random weights, for tests and benchmarks");
    make->add_option("--preset", args->preset,
                     "Model size: tiny (n_embd 64, 2 layers), small (n_embd 256, 4 layers), 0.5b "
                     "(Qwen2.5-0.5B's dimensions, about 630M parameters) or 8b (Llama 3.1 8B's, with --arch "
                     "llama; needs 16 GB of free disk while it is written)")
        ->required();
    make->add_option("--arch", args->arch, "Architecture and tokenizer: qwen2 or llama (Llama 3)")
        ->capture_default_str();
    make->add_option("--quant", args->quant, "Weight type: f16, q8_0 or q4_0 (quantized with llama.cpp)")
        ->capture_default_str();
    make->add_option("--seed", args->seed, "Random seed; the same seed writes a byte-identical file")->required();
    make->add_option("--out", args->out, "Output file; written to a temporary file and renamed into place")
        ->required();
    make->add_option("--vocab-dir", args->vocab_dir,
                     "Folder with llama.cpp's ggml-vocab-*.gguf files (default: $OS1_LLAMA_SOURCE/models, else "
                     "the llama.cpp source this build used)");
    make->add_option("--threads", args->threads, "Threads for generating and quantizing (default: all cores)")
        ->check(CLI::NonNegativeNumber);
    make->footer(
        "The tokenizer and chat template are copied from llama.cpp's vocab-only files: ggml-vocab-qwen2.gguf "
        "(ChatML) for qwen2 and ggml-vocab-llama-bpe.gguf (Llama 3 template) for llama. The weights are random, "
        "so the model runs like a real one of its size but writes nonsense.\n\n"
        "Example: os1 dev make-model --preset 0.5b --quant q8_0 --seed 1 --out /tmp/q05b-q8.gguf");
    make->callback([args, &global, &exit_code] { exit_code = run_make_model(*args, global); });

    auto whisper_args = std::make_shared<MakeWhisperModelArgs>();
    CLI::App* whisper = dev->add_subcommand(
        "make-whisper-model",
        "Write a whisper.cpp speech recognition model with a real tokenizer and seeded random weights, for tests and "
        "benchmarks");
    whisper->add_option("--preset", whisper_args->preset,
                        "Model size: test (width 64, one encoder and one decoder layer, about 8 MiB), tiny.en "
                        "(whisper tiny.en's dimensions, 74 MiB) or base.en (base.en's, 141 MiB)")
        ->required();
    whisper->add_option("--seed", whisper_args->seed, "Random seed; the same seed writes a byte-identical file")
        ->required();
    whisper->add_option("--out", whisper_args->out, "Output file; written to a temporary file and renamed into place")
        ->required();
    whisper->add_option("--vocab-dir", whisper_args->vocab_dir,
                        "Folder with llama.cpp's ggml-vocab-gpt-2.gguf (default: $OS1_LLAMA_SOURCE/models, else the "
                        "llama.cpp source this build used)");
    whisper->footer(
        "The file is in whisper.cpp's ggml format, like ggml-tiny.en.bin. Its tokenizer is GPT-2's, the one "
        "whisper's English-only models use, copied from llama.cpp's ggml-vocab-gpt-2.gguf, and its mel filterbank "
        "is whisper's own (librosa's Slaney filters for 80 mels at 16 kHz). The weights are random, so whisper.cpp "
        "runs the model like a real one of its size but transcribes nonsense.\n\n"
        "Example: os1 dev make-whisper-model --preset tiny.en --seed 1 --out /tmp/whisper-tiny-en.bin");
    whisper->callback([whisper_args, &exit_code] { exit_code = run_make_whisper_model(*whisper_args); });
}

}  // namespace os1::cli
