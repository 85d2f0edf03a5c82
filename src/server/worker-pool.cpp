#include "server/worker-pool.h"

#include <exception>

namespace os1::server {

WorkerPool::WorkerPool(size_t threads, size_t capacity, LogSink log) : m_capacity(capacity), m_log(std::move(log)) {
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i)
        m_threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_ready.notify_all();
    for (std::thread& thread : m_threads)
        thread.join();
}

bool WorkerPool::try_post(std::function<void()> work) {
    {
        std::lock_guard lock(m_mutex);
        if (m_new_requests >= m_capacity || m_stopping)
            return false;
        m_queue.push_back(Entry{std::move(work), true});
        ++m_new_requests;
    }
    m_ready.notify_one();
    return true;
}

void WorkerPool::post(std::function<void()> work) {
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(Entry{std::move(work), false});
    }
    m_ready.notify_one();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> work;
        {
            std::unique_lock lock(m_mutex);
            m_ready.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty())
                return;
            work = std::move(m_queue.front().work);
            if (m_queue.front().new_request)
                --m_new_requests;
            m_queue.pop_front();
        }
        // No exception leaves a worker thread: it would end the process.
        try {
            work();
        } catch (const std::exception& e) {
            if (m_log)
                m_log(LogLevel::Error, std::string("a server task failed: ") + e.what());
        } catch (...) {
            if (m_log)
                m_log(LogLevel::Error, "a server task failed with an unknown exception");
        }
    }
}

}  // namespace os1::server
