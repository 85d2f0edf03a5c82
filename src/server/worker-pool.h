// A fixed set of threads for the work a request blocks on (the user's database, password
// hashing, reading a turn), so that the network threads never block. New requests are admitted
// only while fewer than `capacity` admitted requests wait for a thread: a flood gets 503, not
// unbounded memory. The work of requests already admitted (reading on, storing what a client
// that hung up was sent) never counts against new ones: a crowd that hangs up at once must not
// shut the door on the next person. Thread-safe.
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

    // Queues a new request's `work` unless `capacity` new requests wait already; false when it
    // was refused.
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
    struct Entry {
        std::function<void()> work;
        bool new_request = false;
    };
    std::deque<Entry> m_queue;
    size_t m_new_requests = 0;  // entries of m_queue with new_request
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

}  // namespace os1::server
