#include "app/sweeper.hpp"

#include <spdlog/spdlog.h>

#include "store/webhook_store.hpp"

namespace callsight::app {

Sweeper::Sweeper(Store& store, std::chrono::seconds interval)
    : store_(store), interval_(interval), thread_([this] { loop(); }) {}

Sweeper::~Sweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Sweeper::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      if (const int archived = store_.sweep_sources(); archived > 0) {
        spdlog::info("sweep: archived {} source(s), their numbers are free again", archived);
      }
      // Keeps the events not yet in replay order few, so GET /events has little to do.
      store_.webhooks().sequence_events();
    } catch (const std::exception& e) {
      spdlog::error("sweep failed: {}", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace callsight::app
