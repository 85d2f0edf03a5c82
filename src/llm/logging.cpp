#include <cstdio>

#include "llm/llm.h"
#include "llama.h"

namespace os1::llm {

namespace {

void discard_log(ggml_log_level, const char*, void*) {}

void print_log(ggml_log_level, const char* text, void*) { std::fputs(text, stderr); }

}  // namespace

void set_llama_logging(bool verbose) { llama_log_set(verbose ? print_log : discard_log, nullptr); }

}  // namespace os1::llm
