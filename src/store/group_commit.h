// Group commit: concurrent writers of one database connection share a transaction, and so one
// fsync (private to src/store; the SQLite store's writes all go through it).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "core/result.h"

namespace sms::store {

// What a commit must survive. Accepting a webhook (or an operator's or Twilio's change) must
// survive power loss: fsync before we answer. The relay's own bookkeeping (claiming a message,
// recording a delivery's outcome) only has to survive a crash of the process: in WAL mode the
// commit is in the OS's page cache at once and reaches the disk with the next fsync (the next
// accepted webhook's, or a checkpoint). Losing it to a power cut means a message is sent again
// (at least once), never lost, since the message itself was committed durably.
enum class Durability { power_loss, process_crash };

// A caller that finds no batch in progress commits every job queued so far (its own included)
// while later callers queue the next batch. When a batch is committed, only its own callers are
// woken, and the first caller of the next batch is told to commit it: waking every waiter (the
// next batch's too) cost each webhook two needless context switches. Each caller waits on its
// own mutex, not the batch's: woken callers would otherwise queue for the batch mutex, which the
// committer holds while it wakes the rest (another switch each). No caller returns before the
// commit holding its job.
class GroupCommit {
 public:
  struct Job {
    Durability durability;
    const std::function<void()>& run;
    std::optional<Error> error;  // set by the committer when the job (or its batch) failed
    std::mutex mutex;            // guards done and leads
    bool done = false;
    bool leads = false;  // its caller commits the next batch
    std::condition_variable wake;

    void wait();
    // Sets done or leads. The caller returns once it sees either, so this is the last use of
    // the job (which lives on its caller's stack) by another thread.
    void signal(bool Job::*flag);
  };
  // Commits a batch in one transaction (durable if any job needs it), running each job and
  // setting the error of those that failed.
  using Committer = std::function<void(const std::vector<Job*>& batch)>;

  explicit GroupCommit(Committer commit) : commit_(std::move(commit)) {}

  // Runs `work` in the next batch; returns once that batch is committed, with its error if it
  // failed.
  Result<void> run(Durability durability, const std::function<void()>& work);

 private:
  Committer commit_;
  std::mutex mutex_;  // guards pending_ and running_
  std::vector<Job*> pending_;
  bool running_ = false;
};

}  // namespace sms::store
