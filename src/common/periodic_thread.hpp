#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace callsight {

// A background job's thread: runs `pass` at once and then every `interval` until stop() or
// destruction, which wake it from its wait and join it. A pass that throws is handed to
// `on_error` and the next pass runs as usual (the store may be back by then). Owners that
// stop before their members are destroyed hold this last, or call stop() first.
class PeriodicThread {
 public:
  PeriodicThread() = default;
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;
  ~PeriodicThread() { stop(); }

  void start(std::chrono::milliseconds interval, std::function<void()> pass,
             std::function<void(const std::exception&)> on_error) {
    thread_ = std::thread([this, interval, pass = std::move(pass), on_error = std::move(on_error)] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        lock.unlock();
        try {
          pass();
        } catch (const std::exception& e) {
          on_error(e);
        }
        lock.lock();
        wake_.wait_for(lock, interval, [this] { return stopping_; });
      }
    });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace callsight
