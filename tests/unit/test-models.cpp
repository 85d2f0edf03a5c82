// The models module against a loopback HTTP server that plays the Hugging Face hub (API,
// redirect to a CDN path, Range support, broken connections), plus a fake Ollama store.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <httplib.h>

#include "models/models.h"
#include "support/closed-port.h"
#include "support/temp-dir.h"

namespace fs = std::filesystem;
using namespace os1::models;

namespace {

constexpr const char* k_repo = "test/repo";
constexpr const char* k_file = "tiny.gguf";

std::string make_payload(size_t size) {
    std::string data(size, '\0');
    std::mt19937 random(42);
    for (auto& c : data)
        c = static_cast<char>(random() & 0xff);
    data.replace(0, 4, "GGUF");
    return data;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::string& data) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << data;
}

std::string sha256_of(const std::string& data, const fs::path& scratch) {
    write_file(scratch, data);
    auto sha = sha256_file(scratch);
    fs::remove(scratch);
    return sha ? sha.value() : std::string();
}

// A fake hub on 127.0.0.1: /api/models/test/repo/tree/main lists tiny.gguf, and
// /test/repo/resolve/main/tiny.gguf redirects to /cdn/tiny.gguf, which serves the payload.
class FakeHub {
public:
    explicit FakeHub(std::string payload, std::string sha256)
        : m_payload(std::move(payload)), m_sha256(std::move(sha256)) {
        m_server.Get("/api/models/test/repo/tree/main", [this](const httplib::Request&, httplib::Response& res) {
            std::string sha;
            {
                std::lock_guard lock(m_mutex);
                sha = m_published_sha256.empty() ? m_sha256 : m_published_sha256;
            }
            std::string body = R"([{"type":"file","oid":"0123","size":10,"path":"README.md"},)"
                               R"({"type":"file","oid":"4567","size":)" +
                               std::to_string(m_payload.size()) + R"(,"path":"tiny.gguf","lfs":{"oid":")" + sha +
                               R"(","size":)" + std::to_string(m_payload.size()) + R"(,"pointerSize":134}}])";
            res.set_content(body, "application/json");
        });
        m_server.Get("/test/repo/resolve/main/tiny.gguf",
                     [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/cdn/tiny.gguf"); });
        m_server.Get("/cdn/tiny.gguf",
                     [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });
        m_port = m_server.bind_to_any_port("127.0.0.1");
        m_thread = std::thread([this] { m_server.listen_after_bind(); });
        while (!m_server.is_running())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    ~FakeHub() {
        m_server.stop();
        m_thread.join();
    }

    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    std::string file_url() const { return endpoint() + "/cdn/tiny.gguf"; }

    std::vector<std::string> range_headers() {
        std::lock_guard lock(m_mutex);
        return m_ranges;
    }
    int file_requests() {
        std::lock_guard lock(m_mutex);
        return static_cast<int>(m_ranges.size());
    }

    // Behaviour switches, set before a download starts.
    std::atomic<size_t> cut_after_bytes{0};  // close the connection after this many bytes...
    std::atomic<int> cut_requests{0};        // ...on this many of the next requests
    std::atomic<bool> ignore_range{false};
    // Publishes `sha256` in the API instead of the real one.
    void publish_sha256(std::string sha256) {
        std::lock_guard lock(m_mutex);
        m_published_sha256 = std::move(sha256);
    }

private:
    void serve(const httplib::Request& req, httplib::Response& res) {
        bool cut = false;
        {
            std::lock_guard lock(m_mutex);
            m_ranges.push_back(req.has_header("Range") ? req.get_header_value("Range") : std::string());
            if (cut_requests > 0) {
                --cut_requests;
                cut = true;
            }
        }
        if (ignore_range) {
            // Plays a server without Range support: httplib would otherwise honour the
            // header. The Request object is not const inside httplib; only the handler's view is.
            const_cast<httplib::Request&>(req).ranges.clear();
            res.status = 200;
        }
        if (!req.ranges.empty() && req.ranges.front().first >= static_cast<ssize_t>(m_payload.size())) {
            // What real servers answer to a range past the end (httplib 0.11 gets it wrong).
            const_cast<httplib::Request&>(req).ranges.clear();
            res.status = 416;
            res.set_header("Content-Range", "bytes */" + std::to_string(m_payload.size()));
            return;
        }
        size_t limit = cut ? cut_after_bytes.load() : SIZE_MAX;
        auto sent = std::make_shared<size_t>(0);
        res.set_content_provider(m_payload.size(), "application/octet-stream",
                                 [this, limit, sent](size_t offset, size_t length, httplib::DataSink& sink) {
                                     if (*sent >= limit)
                                         return false;  // drops the connection mid-body
                                     size_t chunk = std::min({length, size_t(64 * 1024), limit - *sent});
                                     sink.write(m_payload.data() + offset, chunk);
                                     *sent += chunk;
                                     return true;
                                 });
    }

    std::string m_payload;
    std::string m_sha256;
    httplib::Server m_server;
    int m_port = 0;
    std::thread m_thread;
    std::mutex m_mutex;
    std::vector<std::string> m_ranges;
    std::string m_published_sha256;
};

class ModelsTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = os1::test::unique_temp_dir("models");
        ASSERT_FALSE(m_dir.empty());
        payload = make_payload(3 * 1024 * 1024 + 123);
        sha256 = sha256_of(payload, m_dir / "scratch");
        ASSERT_EQ(sha256.size(), 64u);
        hub = std::make_unique<FakeHub>(payload, sha256);
        ::setenv("OS1_HF_ENDPOINT", hub->endpoint().c_str(), 1);
        ::unsetenv("HF_TOKEN");
    }

    void TearDown() override {
        hub.reset();
        ::unsetenv("OS1_HF_ENDPOINT");
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    fs::path models_dir() const { return m_dir / "models"; }
    fs::path dir() const { return m_dir; }

    DownloadOptions url_download(const std::string& url) {
        DownloadOptions options;
        options.url = url;
        options.destination = models_dir() / k_file;
        options.retry_delay = std::chrono::milliseconds(0);
        options.on_notice = [this](const std::string& text) { notices.push_back(text); };
        return options;
    }

    CatalogEntry test_entry() const { return {"tiny", k_repo, k_file, 1000, "a test file"}; }

    std::string payload;
    std::string sha256;
    std::unique_ptr<FakeHub> hub;
    std::vector<std::string> notices;

private:
    fs::path m_dir;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Sha256, MatchesKnownDigests) {
    fs::path path = os1::test::unique_temp_dir("sha") / "file";
    write_file(path, "abc");
    auto abc = sha256_file(path);
    write_file(path, "");
    auto empty = sha256_file(path);
    fs::remove(path);
    ASSERT_TRUE(abc);
    ASSERT_TRUE(empty);
    EXPECT_EQ(abc.value(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(empty.value(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_TRUE(sha256_file("/nonexistent/os1/file").is_error());
}

TEST(Catalog, HasTheDefaultFirstAndFindsNamesCaseInsensitively) {
    ASSERT_FALSE(catalog().empty());
    EXPECT_EQ(default_catalog_entry().name, "qwen2.5-1.5b");
    EXPECT_EQ(default_catalog_entry().repo, "Qwen/Qwen2.5-1.5B-Instruct-GGUF");
    const CatalogEntry* entry = find_catalog_entry("QWEN2.5-0.5B");
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->file, "qwen2.5-0.5b-instruct-q4_k_m.gguf");
    EXPECT_EQ(find_catalog_entry("no-such-model"), nullptr);
    // Chat models are GGUFs; speech models are whisper.cpp's own files, after the chat models.
    bool speech_seen = false;
    for (const auto& e : catalog()) {
        speech_seen = speech_seen || e.kind == ModelKind::Speech;
        EXPECT_EQ(e.kind, speech_seen ? ModelKind::Speech : ModelKind::Chat) << e.name;
        EXPECT_TRUE(e.file.ends_with(e.kind == ModelKind::Chat ? ".gguf" : ".bin")) << e.file;
    }
    const CatalogEntry* whisper = find_catalog_entry("whisper-base.en");
    ASSERT_NE(whisper, nullptr);
    EXPECT_EQ(whisper->repo, "ggerganov/whisper.cpp");
    EXPECT_EQ(whisper->file, "ggml-base.en.bin");
}

TEST(FormatBytes, UsesDecimalUnits) {
    EXPECT_EQ(format_bytes(930), "930 B");
    EXPECT_EQ(format_bytes(1'500), "1.5 kB");
    EXPECT_EQ(format_bytes(1'120'000'000), "1.1 GB");
}

TEST_F(ModelsTest, EndpointComesFromTheEnvironment) {
    EXPECT_EQ(hf_endpoint(), hub->endpoint());
    ::setenv("OS1_HF_ENDPOINT", "http://mirror.example/", 1);
    EXPECT_EQ(hf_endpoint(), "http://mirror.example");
    EXPECT_EQ(hf_download_url(hf_endpoint(), "a/b", "c.gguf"), "http://mirror.example/a/b/resolve/main/c.gguf");
    ::unsetenv("OS1_HF_ENDPOINT");
    EXPECT_EQ(hf_endpoint(), "https://huggingface.co");
}

TEST_F(ModelsTest, HubApiReportsSizeAndSha256) {
    auto info = hf_file_info(hub->endpoint(), k_repo, k_file);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->sha256, sha256);
    EXPECT_EQ(info->size_bytes, payload.size());

    auto missing_file = hf_file_info(hub->endpoint(), k_repo, "other.gguf");
    ASSERT_TRUE(missing_file.is_error());
    EXPECT_TRUE(contains(missing_file.error().message, "has no file other.gguf")) << missing_file.error().message;

    auto missing_repo = hf_file_info(hub->endpoint(), "nobody/nothing", k_file);
    ASSERT_TRUE(missing_repo.is_error());
    EXPECT_TRUE(contains(missing_repo.error().message, "no such repository")) << missing_repo.error().message;
    EXPECT_TRUE(contains(missing_repo.error().message, "HTTP 404")) << missing_repo.error().message;
}

TEST_F(ModelsTest, PullDownloadsAndVerifiesACatalogEntry) {
    DownloadOptions options;
    std::vector<DownloadProgress> progress;
    options.on_progress = [&](const DownloadProgress& p) { progress.push_back(p); };
    auto path = pull_catalog_entry(test_entry(), models_dir(), options);
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_EQ(path.value(), models_dir() / k_file);
    EXPECT_EQ(read_file(path.value()), payload);
    EXPECT_FALSE(fs::exists(models_dir() / "tiny.gguf.part"));
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().done_bytes, payload.size());
    EXPECT_EQ(progress.back().total_bytes, payload.size());
    EXPECT_EQ(hub->range_headers(), std::vector<std::string>{""});

    // A second pull finds the file in place and asks the hub nothing.
    auto again = pull_catalog_entry(test_entry(), models_dir(), options);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(hub->file_requests(), 1);
}

TEST_F(ModelsTest, InterruptedTransferKeepsThePartAndResumesWithRange) {
    hub->cut_after_bytes = 1'000'000;
    hub->cut_requests = 1;
    DownloadOptions options;
    options.attempts = 1;
    auto first = pull_catalog_entry(test_entry(), models_dir(), options);
    ASSERT_TRUE(first.is_error());
    EXPECT_TRUE(contains(first.error().message, "connection was lost")) << first.error().message;
    EXPECT_TRUE(contains(first.error().message, "--model FILE")) << first.error().message;
    EXPECT_TRUE(contains(first.error().message, "resumes from there")) << first.error().message;
    fs::path part = models_dir() / "tiny.gguf.part";
    ASSERT_TRUE(fs::exists(part));
    uint64_t partial = fs::file_size(part);
    EXPECT_GT(partial, 0u);
    EXPECT_LT(partial, payload.size());
    EXPECT_FALSE(fs::exists(models_dir() / k_file));

    auto second = pull_catalog_entry(test_entry(), models_dir(), options);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(read_file(second.value()), payload);
    auto ranges = hub->range_headers();
    ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[0], "");
    EXPECT_EQ(ranges[1], "bytes=" + std::to_string(partial) + "-");
    EXPECT_FALSE(fs::exists(part));
}

TEST_F(ModelsTest, InterruptedTransferIsRetriedWithinOneCall) {
    hub->cut_after_bytes = 500'000;
    hub->cut_requests = 2;
    DownloadOptions options = url_download(hub->file_url());
    options.attempts = 3;
    options.sha256 = sha256;
    auto done = download(options);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(read_file(options.destination), payload);
    auto ranges = hub->range_headers();
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_TRUE(ranges[1].starts_with("bytes=")) << ranges[1];
    EXPECT_TRUE(ranges[2].starts_with("bytes=")) << ranges[2];
    bool retried = false;
    for (const auto& notice : notices)
        retried = retried || contains(notice, "retrying");
    EXPECT_TRUE(retried);
}

TEST_F(ModelsTest, ChecksumMismatchIsReportedAndLeavesNoFile) {
    hub->publish_sha256(std::string(64, 'a'));
    auto path = pull_catalog_entry(test_entry(), models_dir(), DownloadOptions{});
    ASSERT_TRUE(path.is_error());
    EXPECT_TRUE(contains(path.error().message, "checksum mismatch")) << path.error().message;
    EXPECT_TRUE(contains(path.error().message, "deleted")) << path.error().message;
    EXPECT_FALSE(fs::exists(models_dir() / k_file));
    EXPECT_FALSE(fs::exists(models_dir() / "tiny.gguf.part"));
}

TEST_F(ModelsTest, NotFoundIsAClearError) {
    DownloadOptions options = url_download(hub->endpoint() + "/cdn/missing.gguf");
    auto done = download(options);
    ASSERT_TRUE(done.is_error());
    EXPECT_TRUE(contains(done.error().message, "not found (HTTP 404)")) << done.error().message;
    EXPECT_TRUE(contains(done.error().message, "/cdn/missing.gguf")) << done.error().message;
    EXPECT_FALSE(fs::exists(options.destination));
}

TEST_F(ModelsTest, ServerThatIgnoresRangeRestartsFromZero) {
    fs::path part = models_dir() / "tiny.gguf.part";
    write_file(part, std::string(700'000, 'x'));  // wrong bytes: must not survive
    hub->ignore_range = true;
    DownloadOptions options = url_download(hub->file_url());
    options.sha256 = sha256;
    auto done = download(options);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(read_file(options.destination), payload);
    auto ranges = hub->range_headers();
    ASSERT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0], "bytes=700000-");
    bool restarted = false;
    for (const auto& notice : notices)
        restarted = restarted || contains(notice, "does not support resuming");
    EXPECT_TRUE(restarted);
}

TEST_F(ModelsTest, CompletePartIsVerifiedWithoutDownloadingAgain) {
    write_file(models_dir() / "tiny.gguf.part", payload);
    auto path = pull_catalog_entry(test_entry(), models_dir(), DownloadOptions{});
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_EQ(read_file(path.value()), payload);
    EXPECT_EQ(hub->file_requests(), 0);
}

TEST_F(ModelsTest, CompleteOrOversizedPartOfAnUnsizedUrlIsHandled) {
    fs::path part = models_dir() / "tiny.gguf.part";
    DownloadOptions options = url_download(hub->file_url());
    options.sha256 = sha256;
    write_file(part, payload);  // complete: the server answers 416 to "bytes=<size>-"
    auto complete = download(options);
    ASSERT_TRUE(complete) << complete.error().message;
    EXPECT_EQ(read_file(options.destination), payload);

    fs::remove(options.destination);
    write_file(part, payload + "trailing junk");  // longer than the file: starts over
    auto oversized = download(options);
    ASSERT_TRUE(oversized) << oversized.error().message;
    EXPECT_EQ(read_file(options.destination), payload);
    EXPECT_FALSE(fs::exists(part));
}

TEST_F(ModelsTest, DiskFullSaysHowMuchIsNeeded) {
    if (!fs::exists("/dev/full"))
        GTEST_SKIP() << "no /dev/full";
    fs::create_directories(models_dir());
    fs::create_symlink("/dev/full", models_dir() / "tiny.gguf.part");  // every write fails with ENOSPC
    DownloadOptions options = url_download(hub->file_url());
    auto done = download(options);
    ASSERT_TRUE(done.is_error());
    const std::string& message = done.error().message;
    EXPECT_TRUE(contains(message, "disk full while writing tiny.gguf")) << message;
    EXPECT_TRUE(contains(message, "still needed")) << message;
    EXPECT_TRUE(contains(message, "free some space")) << message;
    EXPECT_FALSE(fs::exists(options.destination));
}

TEST_F(ModelsTest, ConnectionRefusedIsANetworkError) {
    os1::test::ClosedPort closed;
    const int port = closed.port();
    ASSERT_GT(port, 0);
    DownloadOptions options = url_download("http://127.0.0.1:" + std::to_string(port) + "/x.gguf");
    auto done = download(options);
    ASSERT_TRUE(done.is_error());
    const std::string& message = done.error().message;
    EXPECT_TRUE(contains(message, "cannot reach the server")) << message;
    EXPECT_TRUE(contains(message, "check the network")) << message;
    EXPECT_TRUE(contains(message, "--model FILE")) << message;
    EXPECT_TRUE(contains(message, "--backend openai --base-url URL")) << message;

    ::setenv("OS1_HF_ENDPOINT", ("http://127.0.0.1:" + std::to_string(port)).c_str(), 1);
    auto pulled = pull_catalog_entry(test_entry(), models_dir(), DownloadOptions{});
    ASSERT_TRUE(pulled.is_error());
    EXPECT_TRUE(contains(pulled.error().message, "check the network")) << pulled.error().message;
}

// ---- installed models ------------------------------------------------------------------

namespace {

void write_manifest(const fs::path& root, const std::string& relative, const std::string& model_hex,
                    bool with_template) {
    std::string layers =
        R"({"mediaType":"application/vnd.ollama.image.model","digest":"sha256:)" + model_hex + R"(","size":10})";
    if (with_template)
        layers += R"(,{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:)" + std::string(64, 'f') +
                  R"(","size":10})";
    write_file(root / "manifests" / relative,
               R"({"schemaVersion":2,"config":{"digest":"sha256:00"},"layers":[)" + layers + "]}");
}

std::string hex_of(char c) {
    return std::string(64, c);
}

}  // namespace

class InstalledTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = os1::test::unique_temp_dir("installed");
        stores.os1_dir = m_dir / "home" / "models";
        stores.ollama_roots = {m_dir / "ollama"};
        fs::create_directories(stores.os1_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    // A store with a chat model, a bigger chat model, an embedding model, a model from another
    // namespace and one from hf.co, plus a manifest whose blob is missing and a corrupt one.
    void make_ollama_store() {
        fs::path root = stores.ollama_roots.front();
        write_file(root / "blobs" / ("sha256-" + hex_of('1')), "GGUF" + std::string(3000, 'a'));
        write_file(root / "blobs" / ("sha256-" + hex_of('2')), "GGUF" + std::string(9000, 'b'));
        write_file(root / "blobs" / ("sha256-" + hex_of('3')), "GGUF" + std::string(100, 'c'));
        write_file(root / "blobs" / ("sha256-" + hex_of('4')), "GGUF" + std::string(5000, 'd'));
        write_file(root / "blobs" / ("sha256-" + hex_of('5')), "not a gguf file");
        write_manifest(root, "registry.ollama.ai/library/qwen2.5/0.5b", hex_of('1'), true);
        write_manifest(root, "registry.ollama.ai/library/qwen2.5/latest", hex_of('2'), true);
        write_manifest(root, "registry.ollama.ai/library/nomic-embed-text/latest", hex_of('3'), false);
        write_manifest(root, "registry.ollama.ai/someone/tiny/q4", hex_of('4'), true);
        write_manifest(root, "hf.co/bartowski/Some-GGUF/Q4_K_M", hex_of('4'), true);
        write_manifest(root, "registry.ollama.ai/library/gone/latest", hex_of('9'), true);
        write_manifest(root, "registry.ollama.ai/library/notgguf/latest", hex_of('5'), true);
        write_file(root / "manifests/registry.ollama.ai/library/broken/latest", "{not json");
    }

    fs::path dir() const { return m_dir; }
    ModelStores stores;

private:
    fs::path m_dir;
};

TEST_F(InstalledTest, FindsGgufModelsInOllamasStore) {
    make_ollama_store();
    auto models = list_ollama_models(stores.ollama_roots);
    std::vector<std::string> names;
    for (const auto& model : models)
        names.push_back(model.name);
    EXPECT_EQ(names, (std::vector<std::string>{"hf.co/bartowski/Some-GGUF:Q4_K_M", "nomic-embed-text:latest",
                                               "qwen2.5:0.5b", "qwen2.5:latest", "someone/tiny:q4"}));
    for (const auto& model : models) {
        EXPECT_EQ(model.source, ModelSource::Ollama);
        EXPECT_TRUE(fs::exists(model.path)) << model.path;
        EXPECT_EQ(model.chat, model.name != "nomic-embed-text:latest") << model.name;
    }
    EXPECT_EQ(models[2].path, stores.ollama_roots.front() / "blobs" / ("sha256-" + hex_of('1')));
    EXPECT_EQ(models[2].size_bytes, 3004u);
    EXPECT_TRUE(list_ollama_models({dir() / "no-such-store"}).empty());
}

TEST_F(InstalledTest, ListsOs1ModelsByCatalogNameOrFileStem) {
    write_file(stores.os1_dir / "qwen2.5-0.5b-instruct-q4_k_m.gguf", "GGUF....");
    write_file(stores.os1_dir / "my-model.gguf", "GGUF....");
    write_file(stores.os1_dir / "half.gguf.part", "GGUF");
    write_file(stores.os1_dir / "notes.txt", "hello");
    auto models = list_os1_models(stores.os1_dir);
    ASSERT_EQ(models.size(), 2u);
    EXPECT_EQ(models[0].name, "my-model");
    EXPECT_EQ(models[1].name, "qwen2.5-0.5b");
    EXPECT_EQ(models[1].size_bytes, 8u);
    make_ollama_store();
    auto all = list_models(stores);
    ASSERT_EQ(all.size(), 7u);
    EXPECT_EQ(all[0].source, ModelSource::Os1);
    EXPECT_EQ(all[2].source, ModelSource::Ollama);
}

TEST_F(InstalledTest, FindsSpeechModelsByCatalogNameFileOrPath) {
    auto none = resolve_speech_model("", stores.os1_dir);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().kind, os1::ErrorKind::NotFound);
    EXPECT_EQ(none.error().message, "no whisper model is installed; get one with: os1 pull whisper-base.en");
    auto not_pulled = resolve_speech_model("whisper-tiny.en", stores.os1_dir);
    ASSERT_FALSE(not_pulled);
    EXPECT_EQ(not_pulled.error().message, "whisper-tiny.en: not downloaded yet; get it with: os1 pull whisper-tiny.en");
    auto unknown = resolve_speech_model("whisper-huge", stores.os1_dir);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("os1 pull --list"), std::string::npos);

    // A partial download and a chat model are not speech models.
    write_file(stores.os1_dir / "ggml-small.en.bin.part", "lmgg");
    write_file(stores.os1_dir / "qwen2.5-0.5b-instruct-q4_k_m.gguf", "GGUF....");
    EXPECT_TRUE(list_speech_models(stores.os1_dir).empty());
    EXPECT_EQ(list_os1_models(stores.os1_dir).size(), 1u);

    // tiny.en installed first, base.en later: base.en comes first in the catalog, so it is the default.
    write_file(stores.os1_dir / "ggml-tiny.en.bin", "lmgg....");
    EXPECT_EQ(resolve_speech_model("", stores.os1_dir).value(), stores.os1_dir / "ggml-tiny.en.bin");
    write_file(stores.os1_dir / "ggml-base.en.bin", "lmgg");
    auto installed = list_speech_models(stores.os1_dir);
    ASSERT_EQ(installed.size(), 2u);
    EXPECT_EQ(installed[0].name, "whisper-base.en");
    EXPECT_EQ(installed[1].name, "whisper-tiny.en");
    EXPECT_EQ(installed[1].size_bytes, 8u);
    EXPECT_FALSE(installed[0].chat);
    EXPECT_EQ(resolve_speech_model("", stores.os1_dir).value(), stores.os1_dir / "ggml-base.en.bin");
    EXPECT_EQ(resolve_speech_model("whisper-tiny.en", stores.os1_dir).value(), stores.os1_dir / "ggml-tiny.en.bin");
    EXPECT_EQ(resolve_speech_model("ggml-tiny.en.bin", stores.os1_dir).value(), stores.os1_dir / "ggml-tiny.en.bin");
    // Any file by its path; the recogniser checks what is inside.
    write_file(dir() / "elsewhere" / "my-whisper.bin", "lmgg");
    EXPECT_EQ(resolve_speech_model((dir() / "elsewhere" / "my-whisper.bin").string(), stores.os1_dir).value(),
              dir() / "elsewhere" / "my-whisper.bin");
    // Speech models are never offered as chat models.
    EXPECT_EQ(list_os1_models(stores.os1_dir).size(), 1u);
}

TEST_F(InstalledTest, ResolvesPathsNamesAndOllamaNames) {
    make_ollama_store();
    write_file(stores.os1_dir / "qwen2.5-0.5b-instruct-q4_k_m.gguf", "GGUF....");
    write_file(stores.os1_dir / "my-model.gguf", "GGUF....");
    fs::path loose = dir() / "elsewhere" / "loose.gguf";
    write_file(loose, "GGUF....");
    write_file(dir() / "elsewhere" / "text.gguf", "plain text");

    auto by_path = resolve_model(loose.string(), stores);
    ASSERT_TRUE(by_path) << by_path.error().message;
    EXPECT_EQ(by_path.value(), loose);

    auto not_gguf = resolve_model((dir() / "elsewhere" / "text.gguf").string(), stores);
    ASSERT_TRUE(not_gguf.is_error());
    EXPECT_TRUE(contains(not_gguf.error().message, "not a GGUF model file")) << not_gguf.error().message;

    // A folder or a FIFO is named for what it is (and a FIFO is never opened, which would block).
    fs::create_directories(dir() / "a-folder.gguf");
    auto folder = resolve_model((dir() / "a-folder.gguf").string(), stores);
    ASSERT_TRUE(folder.is_error());
    EXPECT_TRUE(contains(folder.error().message, "a-folder.gguf: is a folder, not a model file"))
        << folder.error().message;
    const fs::path fifo = dir() / "pipe.gguf";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    auto pipe = resolve_model(fifo.string(), stores);
    ASSERT_TRUE(pipe.is_error());
    EXPECT_TRUE(contains(pipe.error().message, "pipe.gguf: is a FIFO, not a regular file")) << pipe.error().message;

    auto missing = resolve_model((dir() / "nope.gguf").string(), stores);
    ASSERT_TRUE(missing.is_error());
    EXPECT_TRUE(contains(missing.error().message, "no such file")) << missing.error().message;

    auto by_catalog_name = resolve_model("qwen2.5-0.5b", stores);
    ASSERT_TRUE(by_catalog_name) << by_catalog_name.error().message;
    EXPECT_EQ(by_catalog_name.value(), stores.os1_dir / "qwen2.5-0.5b-instruct-q4_k_m.gguf");

    auto by_stem = resolve_model("my-model", stores);
    ASSERT_TRUE(by_stem) << by_stem.error().message;
    EXPECT_EQ(by_stem.value(), stores.os1_dir / "my-model.gguf");
    auto by_file_name = resolve_model("my-model.gguf", stores);
    ASSERT_TRUE(by_file_name) << by_file_name.error().message;
    EXPECT_EQ(by_file_name.value(), stores.os1_dir / "my-model.gguf");

    fs::path blob1 = stores.ollama_roots.front() / "blobs" / ("sha256-" + hex_of('1'));
    fs::path blob2 = stores.ollama_roots.front() / "blobs" / ("sha256-" + hex_of('2'));
    auto ollama = resolve_model("qwen2.5:0.5b", stores);
    ASSERT_TRUE(ollama) << ollama.error().message;
    EXPECT_EQ(ollama.value(), blob1);
    auto latest = resolve_model("qwen2.5", stores);
    ASSERT_TRUE(latest) << latest.error().message;
    EXPECT_EQ(latest.value(), blob2);
    auto qualified = resolve_model("registry.ollama.ai/library/qwen2.5:0.5b", stores);
    ASSERT_TRUE(qualified) << qualified.error().message;
    EXPECT_EQ(qualified.value(), blob1);
    auto other_namespace = resolve_model("someone/tiny:q4", stores);
    ASSERT_TRUE(other_namespace) << other_namespace.error().message;

    auto not_pulled = resolve_model("qwen2.5-3b", stores);
    ASSERT_TRUE(not_pulled.is_error());
    EXPECT_TRUE(contains(not_pulled.error().message, "os1 pull qwen2.5-3b")) << not_pulled.error().message;

    auto unknown = resolve_model("mistral:7b", stores);
    ASSERT_TRUE(unknown.is_error());
    EXPECT_TRUE(contains(unknown.error().message, "no such model")) << unknown.error().message;
    EXPECT_TRUE(contains(unknown.error().message, "qwen2.5:0.5b")) << unknown.error().message;
}

TEST_F(InstalledTest, DefaultModelPrefersTheCatalogDefaultThenOllamasSmallestChatModel) {
    EXPECT_FALSE(default_model(stores).has_value());

    make_ollama_store();
    auto from_ollama = default_model(stores);
    ASSERT_TRUE(from_ollama.has_value());
    EXPECT_EQ(from_ollama->name, "qwen2.5:0.5b");  // smallest with a chat template, not the embedder

    write_file(stores.os1_dir / "my-model.gguf", "GGUF....");
    EXPECT_EQ(default_model(stores)->name, "my-model");
    write_file(stores.os1_dir / "qwen2.5-3b-instruct-q4_k_m.gguf", "GGUF....");
    EXPECT_EQ(default_model(stores)->name, "qwen2.5-3b");
    write_file(stores.os1_dir / default_catalog_entry().file, "GGUF....");
    EXPECT_EQ(default_model(stores)->name, default_catalog_entry().name);
}

TEST_F(InstalledTest, StoresComeFromDataHomeAndOllamaModels) {
    ::setenv("OLLAMA_MODELS", (dir() / "custom").c_str(), 1);
    ModelStores custom = model_stores(dir() / "home");
    ::unsetenv("OLLAMA_MODELS");
    EXPECT_EQ(custom.os1_dir, dir() / "home" / "models");
    EXPECT_EQ(custom.ollama_roots, std::vector<fs::path>{dir() / "custom"});

    ModelStores usual = model_stores(dir() / "home");
    ASSERT_EQ(usual.ollama_roots.size(), 2u);
    EXPECT_EQ(usual.ollama_roots[1], fs::path("/usr/share/ollama/.ollama/models"));
}
