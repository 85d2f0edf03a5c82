// A fixed set of threads for the work a request blocks on (the user's database, password
// hashing, reading a turn), so that the network threads never block. New requests are admitted
// only while the queue has room: a flood gets 503, not unbounded memory. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"

namespace os1::server {

class WorkerPool {
public:
    WorkerPool(size_t threads, size_t capacity, LogSink log);
    // Runs what is queued, then joins the threads.
    ~WorkerPool();

    // Queues `work` unless `capacity` jobs are waiting already; false when it was refused.
    bool try_post(std::function<void()> work);
    // Queues `work` whatever the queue holds: for the continuation of admitted requests.
    void post(std::function<void()> work);

    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

private:
    void run();

    const size_t m_capacity;
    LogSink m_log;
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<std::function<void()>> m_queue;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

}  // namespace os1::server
