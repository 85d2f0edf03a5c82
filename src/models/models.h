// Models on disk and how they get there: a small catalog of CPU-friendly instruct GGUFs on
// Hugging Face, resumable and checksum-verified downloads into <data home>/models, discovery
// of GGUFs in Ollama's local store, and resolution of a --model argument to a file.
//
// Thread-safety: the functions are reentrant; two downloads of the same file exclude each
// other through a lock on its .part file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace os1::models {

// ---- catalog ----------------------------------------------------------------------------

// Chat: a GGUF language model. Speech: a whisper.cpp model for the optional speech recogniser.
enum class ModelKind { Chat, Speech };

struct CatalogEntry {
    std::string name;         // what `os1 pull NAME` takes: "qwen2.5-1.5b"
    std::string repo;         // Hugging Face repository: "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
    std::string file;         // file in that repository, also its name on disk
    uint64_t approx_bytes;    // for listings and disk-space hints only
    std::string description;  // one line
    ModelKind kind = ModelKind::Chat;
};

// The catalog, default entry first (the chat models, then the speech models).
const std::vector<CatalogEntry>& catalog();
const CatalogEntry& default_catalog_entry();
// The entry called `name` (case-insensitive), or nullptr.
const CatalogEntry* find_catalog_entry(std::string_view name);

// ---- Hugging Face -----------------------------------------------------------------------

// $OS1_HF_ENDPOINT, else https://huggingface.co; never ends in '/'.
std::string hf_endpoint();
// <endpoint>/<repo>/resolve/main/<file>
std::string hf_download_url(const std::string& endpoint, const std::string& repo, const std::string& file);

struct RemoteFile {
    uint64_t size_bytes = 0;
    std::string sha256;  // lowercase hex; empty when the hub publishes none (not an LFS file)
};

// Asks the hub's API (<endpoint>/api/models/<repo>/tree/main) for `file`'s size and sha256.
// Sends $HF_TOKEN as a bearer token when set.
ErrorOr<RemoteFile> hf_file_info(const std::string& endpoint, const std::string& repo, const std::string& file);

// ---- downloads --------------------------------------------------------------------------

struct DownloadProgress {
    uint64_t done_bytes = 0;     // bytes of the file on disk so far
    uint64_t total_bytes = 0;    // 0 while unknown
    uint64_t resumed_bytes = 0;  // bytes that were already on disk when this transfer started
};

struct DownloadOptions {
    std::string url;
    // Final path; data goes to destination + ".part" first.
    std::filesystem::path destination;
    // Expected lowercase hex; empty: not verified.
    std::string sha256;
    // Expected size; 0: unknown.
    uint64_t expected_bytes = 0;
    // Extra request headers, "Name: value".
    std::vector<std::string> headers;
    // Transfers tried while each makes progress before a network failure is reported.
    int attempts = 4;
    // Pause before the next attempt; doubled after each one.
    std::chrono::milliseconds retry_delay{2000};
    // Called for every chunk stored; throttle in it.
    std::function<void(const DownloadProgress&)> on_progress;
    // One-line news: "resuming ... at 5.0 MB", "connection lost ...; retrying", "verifying ...".
    std::function<void(const std::string&)> on_notice;
};

// Downloads `url` to `destination`. An existing .part is resumed with a Range request (a
// server that answers 200 instead of 206 restarts it from zero). After a network failure the
// .part is kept for the next try; after a checksum mismatch it is deleted. On success the file
// is fsynced and renamed into place.
ErrorOr<void> download(const DownloadOptions& options);

// The file's SHA-256 as lowercase hex.
ErrorOr<std::string> sha256_file(const std::filesystem::path& path);

// "1.1 GB", "512.0 MB", "930 B" (powers of 1000, as download sizes are usually shown).
std::string format_bytes(uint64_t bytes);

// ---- installed models -------------------------------------------------------------------

enum class ModelSource { Os1, Ollama };

struct InstalledModel {
    std::string name;  // catalog name or file stem for os1's own; "qwen2.5:0.5b" for Ollama's
    std::filesystem::path path;
    uint64_t size_bytes = 0;
    ModelSource source = ModelSource::Os1;
    bool chat = true;  // Ollama: has a chat template (embedding-only models have none)
};

struct ModelStores {
    std::filesystem::path os1_dir;                    // <data home>/models
    std::vector<std::filesystem::path> ollama_roots;  // folders holding manifests/ and blobs/
};

// <data home>/models plus Ollama's store: $OLLAMA_MODELS when set, else ~/.ollama/models and
// /usr/share/ollama/.ollama/models.
ModelStores model_stores(const std::filesystem::path& data_home);

// os1's *.gguf files, sorted by name.
std::vector<InstalledModel> list_os1_models(const std::filesystem::path& os1_dir);
// GGUF models in Ollama's store, sorted by name; unreadable manifests and missing blobs are
// skipped.
std::vector<InstalledModel> list_ollama_models(const std::vector<std::filesystem::path>& roots);
// Both lists, os1's first.
std::vector<InstalledModel> list_models(const ModelStores& stores);

// Resolves a --model argument: a path to a GGUF file, a catalog name or file name installed in
// os1's folder, or an Ollama name ("qwen2.5:0.5b"; no tag means ":latest").
ErrorOr<std::filesystem::path> resolve_model(const std::string& argument, const ModelStores& stores);

// The model to use when none is named: the catalog default if installed, else another catalog
// model, else any of os1's GGUFs, else the smallest Ollama chat model; nullopt when none.
std::optional<InstalledModel> default_model(const ModelStores& stores);

// ---- speech models (whisper.cpp) -------------------------------------------------------

// Resolves a --whisper-model argument: a path to a model file, or the name or file name of a
// speech model of the catalog installed in `os1_dir`. An empty argument means the installed
// speech model that comes first in the catalog. NotFound says what to pull.
ErrorOr<std::filesystem::path> resolve_speech_model(const std::string& argument, const std::filesystem::path& os1_dir);

// The speech models of the catalog installed in `os1_dir`, in catalog order.
std::vector<InstalledModel> list_speech_models(const std::filesystem::path& os1_dir);

// ---- pulling ----------------------------------------------------------------------------

// Downloads a catalog entry from hf_endpoint() into `os1_dir`, verifying the sha256 that the
// hub reports; returns the final path. `options` supplies callbacks and retry settings (its
// url, destination, sha256 and expected_bytes are filled in here).
ErrorOr<std::filesystem::path> pull_catalog_entry(const CatalogEntry& entry, const std::filesystem::path& os1_dir,
                                                  DownloadOptions options);

// The advice printed with every network failure.
inline constexpr const char* k_offline_hint =
    "check the network, or use a GGUF file with --model FILE, a model from Ollama's store, or "
    "--backend openai --base-url URL";

}  // namespace os1::models
