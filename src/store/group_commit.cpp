// Group commit: concurrent writers of one connection sharing a transaction and its fsync.
#include "store/group_commit.h"

namespace sms::store {

void GroupCommit::Job::wait() {
  std::unique_lock lock(mutex);
  wake.wait(lock, [&] { return done || leads; });
}

void GroupCommit::Job::signal(bool Job::*flag) {
  std::lock_guard lock(mutex);
  this->*flag = true;
  wake.notify_one();
}

Result<void> GroupCommit::run(Durability durability, const std::function<void()>& work) {
  Job me{durability, work, std::nullopt, {}, false, false, {}};
  {
    std::unique_lock lock(mutex_);
    pending_.push_back(&me);
    bool follows = running_;
    running_ = true;
    lock.unlock();
    if (follows) me.wait();
  }
  if (!me.done) {
    std::vector<Job*> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(pending_);
    }
    commit_(batch);
    Job* next = nullptr;
    {
      std::lock_guard lock(mutex_);
      running_ = !pending_.empty();
      if (running_) next = pending_.front();
    }
    // The next batch starts before this one's callers are woken one by one.
    if (next) next->signal(&Job::leads);
    for (auto* j : batch)
      if (j != &me) j->signal(&Job::done);
  }
  if (me.error) return std::unexpected(*me.error);
  return {};
}

}  // namespace sms::store
