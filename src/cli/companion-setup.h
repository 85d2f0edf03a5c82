// The companion's own options, apart from the model's, and the CompanionHost options they make;
// shared by the commands that hold conversations (chat, talk, serve), so that each offers the
// same choices with the same meaning.
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/model-setup.h"
#include "companion/host.h"
#include "core/error.h"
#include "llm/llm.h"
#include "memory/memory.h"

namespace os1::cli {

struct CompanionSetup {
    std::string system_prompt;  // empty: the persona card's
    bool learn = true;
    double reflection_threshold = memory::default_reflection_threshold;
    std::string embedding_model;  // empty: recall by words only
};

// Whether a command offers --system: a server does not, so that every account keeps the
// system prompt of its own persona card.
enum class SystemPromptOption { Offer, Omit };

// --system (unless omitted), --no-learning, --reflection-threshold and --embedding-model.
void add_companion_options(CLI::App& command, CompanionSetup& setup,
                           SystemPromptOption system_prompt = SystemPromptOption::Offer);

// --seed, --max-tokens (1 to 2^20; the command checks it against --ctx-size), --temperature,
// --top-p, --min-p and --repeat-penalty, with `max_tokens` as the default reply length.
void add_sampling_options(CLI::App& command, llm::SamplingParams& sampling, int32_t max_tokens);

// Throws CLI::ValidationError when --max-tokens exceeds the context size (--ctx-size).
void check_reply_fits(const llm::SamplingParams& sampling, const BackendOptions& backend);

// The host options for `setup`: the data home, the terminal's environment, the sampling
// defaults, and the embedding model opened (with llama.cpp's log on stderr only when
// `verbose`). Fails when --embedding-model cannot be opened, naming the option.
ErrorOr<companion::HostOptions> host_options_for(const CompanionSetup& setup, const std::filesystem::path& home,
                                                 const llm::SamplingParams& sampling, bool verbose);

}  // namespace os1::cli
