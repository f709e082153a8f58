#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/source.hpp"
#include "core/types.hpp"

namespace callsight {

class PartnerStore;
class CustomerStore;
class UserStore;
class NumberStore;
class SourceStore;
class CampaignStore;
class GreetingStore;
class BlacklistStore;
class OrderStore;
class CallbackStore;
class PincodeStore;
class CallRecordStore;
class WebhookStore;
class RecordingStore;
class DniStore;
class MailStore;

struct PageRequest {
  int page = 0;  // zero-based
  int pagesize = 1000;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;  // matching rows over all pages
};

// How a platform job that works row by row (the sweep, webhook claims) hears of a row it
// could not process: the row is left for a later run and the job goes on with the others.
// `row_id` is the row's id in the job's own table (sources, webhook_deliveries).
using RowFailureHandler = std::function<void(Id row_id, const std::exception& error)>;

// How far a retention purge got in one call: it deletes a bounded number of batches per call,
// so a large backlog (the first purge after an upgrade) does not hold up the job that calls it;
// `done` is false while old rows are left for the next call.
struct PurgeProgress {
  std::size_t deleted = 0;
  bool done = true;
};

// How a store method named *_then answers: with its result once it is durable, or with what
// the method without _then would have thrown. Called once, maybe on another thread (SQLite's
// group commit answers from the thread that committed the write); it must not throw.
template <class T>
using Later = std::function<void(std::optional<T> result, std::exception_ptr error)>;

// The *_then of a backend whose writes are not shared: runs `call` on this thread and answers.
template <class T, class Call>
void answer_now(const Call& call, const Later<T>& then) {
  std::optional<T> result;
  std::exception_ptr error;
  try {
    result.emplace(call());
  } catch (...) {
    error = std::current_exception();
  }
  then(std::move(result), error);
}

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A uniqueness or state rule refused the write; nothing was written.
class ConflictError : public StoreError {
 public:
  ConflictError(std::string code, std::string field, const std::string& message)
      : StoreError(message), code_(std::move(code)), field_(std::move(field)) {}
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  std::string code_;
  std::string field_;
};

// The database cannot serve now: a connection refused or lost, or no pooled connection free
// in time. Worth retrying later; a write cut off at its commit may or may not have landed.
class UnavailableError : public StoreError {
 public:
  using StoreError::StoreError;
};

// The object does not exist, or belongs to another partner (the two are not told apart).
class NotFoundError : public StoreError {
 public:
  using StoreError::StoreError;
};

// Whether the store can serve (GET /readyz).
struct StoreHealth {
  bool ready = true;
  std::string reason;  // when not ready, for clients: short, without hosts or secrets
  std::string detail;  // when not ready, for the log: what the database said
};

// Checkpoints of SQLite's WAL into the database file (store/sqlite/sqlite_checkpointer.hpp);
// none on PostgreSQL.
struct CheckpointStats {
  std::uint64_t background = 0;  // by the checkpointing thread, between two batches
  std::uint64_t failed = 0;      // ones that failed (an I/O error)
};

// How this process uses its database connections (GET /metrics).
struct DatabasePoolStats {
  int size = 0;                // connections the pool may open
  int open = 0;                // opened so far
  int in_use = 0;              // held by a transaction now
  std::uint64_t waits = 0;     // transactions that found no free connection and waited
  double wait_seconds = 0;     // time they spent waiting, in total
  std::uint64_t timeouts = 0;  // transactions that gave up waiting
  // Durable commits that write transactions shared (group_commit.hpp), and the write
  // transactions committed through them.
  std::uint64_t group_commits = 0;
  std::uint64_t group_committed_transactions = 0;
  CheckpointStats checkpoints;
};

// What a change may look up while the store applies it: reads in the change's own write
// transaction, so what they found still holds when the change is written.
class ChangeLookups {
 public:
  virtual ~ChangeLookups() = default;
  virtual bool has_customer(Id partner_id, Id customer_id) = 0;
  virtual bool has_campaign(Id partner_id, Id customer_id, Id campaign_id) = 0;
  // The customer's own greeting or a system greeting.
  virtual bool has_greeting(Id partner_id, Id customer_id, Id greeting_id) = 0;
};

// A change to one stored object, which the store applies in one write transaction: it reads
// the object, hands it to the change, and writes only the fields the change altered (and
// `modified`). The change applies the rules to the object as stored then: it edits it and
// returns true, returns false to leave it untouched, or throws to refuse, and nothing is
// written. So two concurrent changes of different fields both land, and a change never
// brings back an object that was deleted meanwhile.
template <class T>
using Change = std::function<bool(T& object, ChangeLookups& lookups)>;

// Every method is one transaction: it either happens whole or throws and writes nothing.
// Objects of one partner are only ever reachable with that partner's id.
class Store {
 public:
  virtual ~Store() = default;

  // e.g. "SQLite ./callsight.db (schema version 1)", for the startup log.
  virtual std::string description() const = 0;

  // Runs a trivial query and compares the schema version with the one this binary expects.
  // Never throws.
  virtual StoreHealth check_health() = 0;
  virtual DatabasePoolStats pool_stats() const = 0;
  // True when reads wait on a database server's answers (PostgreSQL), not only on this
  // process's CPU: a server then needs threads to spare for them.
  virtual bool reads_wait() const { return false; }

  // A random secret (64 hex digits) that every node on this database shares, made on first
  // use and kept: e.g. the key Digest nonces are signed with, so any node accepts them.
  virtual std::string shared_secret(std::string_view name) = 0;

  // Sub-stores, one per resource family, each declared in its own header under store/.
  virtual PartnerStore& partners() = 0;
  virtual CustomerStore& customers() = 0;
  virtual UserStore& users() = 0;
  virtual NumberStore& numbers() = 0;
  virtual SourceStore& sources() = 0;
  virtual CampaignStore& campaigns() = 0;
  virtual GreetingStore& greetings() = 0;
  virtual BlacklistStore& blacklists() = 0;
  virtual OrderStore& orders() = 0;
  virtual CallbackStore& callbacks() = 0;
  virtual PincodeStore& pincodes() = 0;
  virtual CallRecordStore& calls() = 0;
  virtual WebhookStore& webhooks() = 0;
  virtual RecordingStore& recordings() = 0;  // call recordings and voicemail messages
  virtual DniStore& dni() = 0;               // dynamic numbers: pools, visits, number hand-outs
  virtual MailStore& mail() = 0;             // the mail outbox: notification e-mails
};

struct StoreOptions {
  int pool_size = 8;  // PostgreSQL connections, or SQLite reader connections, per process
};

// Opens the store a --db value names: a postgresql:// (or postgres://) URL means PostgreSQL,
// anything else an SQLite file path (created when absent). Migrations are applied before it
// returns; several processes may open one database at once.
std::unique_ptr<Store> open_store(const std::string& location, const Clock& clock,
                                  const StoreOptions& options = {});

}  // namespace callsight
