#include "cli/companion-setup.h"

#include "cli/terminal-environment.h"

namespace os1::cli {

void add_companion_options(CLI::App& command, CompanionSetup& setup, SystemPromptOption system_prompt) {
    if (system_prompt == SystemPromptOption::Offer)
        command.add_option("--system", setup.system_prompt,
                           "System prompt (default: the persona card's, see os1 persona)");
    command.add_flag("!--no-learning", setup.learn,
                     "Store the conversation, but learn nothing from it with the model (no facts, appraisal, "
                     "journal prose or reflection)");
    command
        .add_option("--reflection-threshold", setup.reflection_threshold,
                    "Reflect on new memories once their importance adds up to this (an exchange adds about 0.8; "
                    "lower reflects more often)")
        ->default_val(memory::default_reflection_threshold)
        ->check(finite_range(0, memory::max_reflection_threshold, LowerBound::Exclusive));
    command.add_option("--embedding-model", setup.embedding_model,
                       "GGUF embedding model for recall by meaning as well as words (new memories get vectors; "
                       "older ones after os1 memory embed)");
}

void add_sampling_options(CLI::App& command, llm::SamplingParams& sampling, int32_t max_tokens) {
    command.add_option("--seed", sampling.seed, "Sampling seed (default: random)");
    command.add_option("--max-tokens", sampling.max_tokens, "Longest reply, in tokens (at most --ctx-size)")
        ->default_val(max_tokens)
        ->check(CLI::Range(1, 1 << 20));
    command.add_option("--temperature", sampling.temperature, "Sampling temperature; 0 is greedy")
        ->default_val(0.7)
        ->check(finite_range(0, 5));
    command.add_option("--top-p", sampling.top_p, "Nucleus sampling threshold")
        ->default_val(0.95)
        ->check(finite_range(0, 1, LowerBound::Exclusive));
    command.add_option("--min-p", sampling.min_p, "Minimum probability relative to the top token")
        ->default_val(0.05)
        ->check(finite_range(0, 1));
    command.add_option("--repeat-penalty", sampling.repeat_penalty, "Penalty for repeating recent tokens; 1 is none")
        ->default_val(1.1)
        ->check(finite_range(0, 10, LowerBound::Exclusive));
}

void check_reply_fits(const llm::SamplingParams& sampling, const BackendOptions& backend) {
    if (sampling.max_tokens > backend.context_size)
        throw CLI::ValidationError("--max-tokens", std::to_string(sampling.max_tokens) + " is out of range; use 1 to " +
                                                       std::to_string(backend.context_size) +
                                                       ", the context size (--ctx-size)");
}

ErrorOr<companion::HostOptions> host_options_for(const CompanionSetup& setup, const std::filesystem::path& home,
                                                 const llm::SamplingParams& sampling, bool verbose) {
    companion::HostOptions options;
    options.home = home;
    options.environment = terminal_environment();
    options.companion.system_prompt = setup.system_prompt;
    options.companion.learn = setup.learn;
    options.companion.reflection_threshold = setup.reflection_threshold;
    options.sampling = sampling;
    if (!setup.embedding_model.empty()) {
        auto embedder = open_embedding_model(setup.embedding_model, verbose);
        if (embedder.is_error())
            return make_error(embedder.error().kind, "--embedding-model: " + embedder.error().message);
        options.companion.embedder = embedder.release_value();
    }
    return options;
}

}  // namespace os1::cli
