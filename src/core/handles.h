// One owning smart-pointer alias per C handle used by os1, each with its deleter. Code never
// calls a C free function by hand: it holds one of these.
#pragma once

#include <cstdio>
#include <memory>

#include <curl/curl.h>
#include <sqlite3.h>

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

namespace os1 {

namespace detail {
struct LlamaModelDeleter { void operator()(llama_model* p) const { llama_model_free(p); } };
struct LlamaContextDeleter { void operator()(llama_context* p) const { llama_free(p); } };
struct LlamaSamplerDeleter { void operator()(llama_sampler* p) const { llama_sampler_free(p); } };
struct LlamaBatchDeleter { void operator()(llama_batch* p) const { llama_batch_free(*p); delete p; } };
struct GgmlContextDeleter { void operator()(ggml_context* p) const { ggml_free(p); } };
struct GgufDeleter { void operator()(gguf_context* p) const { gguf_free(p); } };
struct SqliteDeleter { void operator()(sqlite3* p) const { sqlite3_close_v2(p); } };
struct SqliteStmtDeleter { void operator()(sqlite3_stmt* p) const { sqlite3_finalize(p); } };
struct SqliteBackupDeleter { void operator()(sqlite3_backup* p) const { sqlite3_backup_finish(p); } };
struct CurlDeleter { void operator()(CURL* p) const { curl_easy_cleanup(p); } };
struct CurlSlistDeleter { void operator()(curl_slist* p) const { curl_slist_free_all(p); } };
struct FileDeleter { void operator()(std::FILE* p) const { std::fclose(p); } };
}  // namespace detail

using LlamaModelPtr = std::unique_ptr<llama_model, detail::LlamaModelDeleter>;
using LlamaContextPtr = std::unique_ptr<llama_context, detail::LlamaContextDeleter>;
using LlamaSamplerPtr = std::unique_ptr<llama_sampler, detail::LlamaSamplerDeleter>;
using LlamaBatchPtr = std::unique_ptr<llama_batch, detail::LlamaBatchDeleter>;
using GgmlContextPtr = std::unique_ptr<ggml_context, detail::GgmlContextDeleter>;
using GgufPtr = std::unique_ptr<gguf_context, detail::GgufDeleter>;
using SqlitePtr = std::unique_ptr<sqlite3, detail::SqliteDeleter>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, detail::SqliteStmtDeleter>;
using SqliteBackupPtr = std::unique_ptr<sqlite3_backup, detail::SqliteBackupDeleter>;
using CurlPtr = std::unique_ptr<CURL, detail::CurlDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, detail::CurlSlistDeleter>;
using FilePtr = std::unique_ptr<std::FILE, detail::FileDeleter>;

}  // namespace os1
