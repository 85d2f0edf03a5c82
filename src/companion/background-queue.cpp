#include "companion/background-queue.h"

#include <algorithm>
#include <exception>

namespace os1::companion {

BackgroundQueue::BackgroundQueue(size_t workers, size_t capacity, LogSink log)
    : m_capacity(std::max<size_t>(capacity, 1)), m_log(log ? std::move(log) : LogSink(discard_log)) {
    for (size_t i = 0; i < std::max<size_t>(workers, 1); ++i)
        m_workers.emplace_back([this] { work(); });
}

BackgroundQueue::~BackgroundQueue() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_changed.notify_all();
    for (std::thread& worker : m_workers)
        worker.join();
}

ErrorOr<void> BackgroundQueue::post(std::string label, Job job) {
    return enqueue(std::move(label), std::move(job), true);
}

ErrorOr<void> BackgroundQueue::post_now(std::string label, Job job) {
    return enqueue(std::move(label), std::move(job), false);
}

ErrorOr<void> BackgroundQueue::enqueue(std::string label, Job job, bool wait_for_room) {
    std::unique_lock lock(m_mutex);
    if (wait_for_room)
        m_changed.wait(lock, [&] { return m_stopping || m_queue.size() < m_capacity; });
    if (m_stopping)
        return make_error(ErrorKind::Unavailable, label + ": not started, the host is shutting down");
    m_queue.push_back(Entry{std::move(label), std::move(job)});
    ++m_stats.posted;
    lock.unlock();
    m_changed.notify_all();
    return {};
}

void BackgroundQueue::drain() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_queue.empty() && m_running == 0; });
}

bool BackgroundQueue::drain_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_queue.empty() && m_running == 0; });
}

BackgroundStats BackgroundQueue::stats() const {
    std::lock_guard lock(m_mutex);
    BackgroundStats stats = m_stats;
    stats.pending = m_queue.size() + m_running;
    return stats;
}

void BackgroundQueue::run_one(Entry& entry) {
    bool succeeded = false;
    try {
        ErrorOr<void> result = entry.job();
        succeeded = !result.is_error();
        if (!succeeded)
            m_log(LogLevel::Warning, entry.label + ": " + result.error().message);
    } catch (const std::exception& exception) {
        m_log(LogLevel::Error, entry.label + ": unexpected failure: " + exception.what());
    } catch (...) {
        m_log(LogLevel::Error, entry.label + ": unexpected failure");
    }
    std::lock_guard lock(m_mutex);
    ++(succeeded ? m_stats.succeeded : m_stats.failed);
}

void BackgroundQueue::work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_changed.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
        if (m_queue.empty())
            return;  // stopping, and nothing left to run
        Entry entry = std::move(m_queue.front());
        m_queue.pop_front();
        ++m_running;
        lock.unlock();
        m_changed.notify_all();  // room for a waiting post()
        run_one(entry);
        entry = {};  // release what the job captured before reporting it finished
        lock.lock();
        --m_running;
        m_changed.notify_all();
    }
}

}  // namespace os1::companion
