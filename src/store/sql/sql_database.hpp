#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace callsight {

// What a backend's prepared statement does; SqlStatement is the handle stores use.
class SqlStatementImpl {
 public:
  virtual ~SqlStatementImpl() = default;
  virtual void bind_int64(const char* name, std::int64_t value) = 0;
  virtual void bind_text(const char* name, std::string_view value) = 0;
  virtual void bind_null(const char* name) = 0;
  virtual bool step() = 0;
  virtual bool is_null(int column) const = 0;
  virtual std::int64_t int64(int column) const = 0;
  // nullopt for NULL: a backend may answer both in one look at the column.
  virtual std::optional<std::int64_t> optional_int64(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::int64_t>(int64(column));
  }
  // The column's text, valid until the next step() or the statement's end.
  virtual std::string_view text_view(int column) const = 0;
};

// One execution of a prepared statement, lent out by SqlDatabase::prepare. Parameters are
// bound by name (":name"); columns are read by index. Integers (ids, flags, unix seconds)
// and text are the only types the stores use, so both backends agree on every value.
class SqlStatement {
 public:
  explicit SqlStatement(std::unique_ptr<SqlStatementImpl> impl) : impl_(std::move(impl)) {}

  SqlStatement& bind(const char* name, std::int64_t value) {
    impl_->bind_int64(name, value);
    return *this;
  }
  SqlStatement& bind(const char* name, int value) {
    return bind(name, static_cast<std::int64_t>(value));
  }
  SqlStatement& bind(const char* name, std::string_view value) {
    impl_->bind_text(name, value);
    return *this;
  }
  SqlStatement& bind(const char* name, const std::string& value) {
    return bind(name, std::string_view(value));
  }
  SqlStatement& bind(const char* name, const char* value) {
    return bind(name, std::string_view(value));
  }
  SqlStatement& bind(const char* name, TimePoint value) {
    return bind(name, static_cast<std::int64_t>(value.time_since_epoch().count()));
  }
  SqlStatement& bind(const char* name, std::nullopt_t) {
    impl_->bind_null(name);
    return *this;
  }
  template <class T>
  SqlStatement& bind(const char* name, const std::optional<T>& value) {
    return value ? bind(name, *value) : bind(name, std::nullopt);
  }

  // Advances to the next row (executing the statement first); false when done. Throws
  // StoreError.
  bool step() { return impl_->step(); }
  // Runs a statement whose rows, if any, are not wanted.
  void run() {
    while (step()) {
    }
  }
  // Runs an "INSERT ... RETURNING id" and gives the new row's id.
  std::int64_t returning_id() {
    if (!step()) throw std::logic_error("INSERT ... RETURNING id returned no row");
    const auto id = int64(0);
    run();
    return id;
  }

  bool is_null(int column) const { return impl_->is_null(column); }
  std::int64_t int64(int column) const { return impl_->int64(column); }
  int integer(int column) const { return static_cast<int>(int64(column)); }
  std::string text(int column) const { return std::string(impl_->text_view(column)); }
  // As text(), without a copy: valid until the next step() or the statement's end. For rows
  // read into storage that outlives them (assign into an existing string keeps its capacity).
  std::string_view text_view(int column) const { return impl_->text_view(column); }
  TimePoint time(int column) const { return TimePoint(std::chrono::seconds(int64(column))); }
  std::optional<std::int64_t> optional_int64(int column) const {
    return impl_->optional_int64(column);
  }
  std::optional<std::string> optional_text(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::string>(text(column));
  }
  std::optional<TimePoint> optional_time(int column) const {
    const auto seconds = optional_int64(column);
    return seconds ? std::optional<TimePoint>(std::chrono::seconds(*seconds)) : std::nullopt;
  }

 private:
  std::unique_ptr<SqlStatementImpl> impl_;
};

// How a transaction keeps concurrent writers apart.
//   read:             a consistent snapshot; writes nothing.
//   read_statement:   one statement that writes nothing, in the snapshot it takes itself: no
//                     BEGIN and COMMIT around it (two statements less per read for the
//                     database to run). Only for a transaction of exactly one statement.
//   write:            serialised with every other `write` transaction of the database,
//                     across processes and nodes (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
//                     transaction-scoped advisory lock). Check-then-write code is safe.
//   concurrent_write: runs beside other writers; the statements themselves must be safe
//                     (row locks with FOR UPDATE [SKIP LOCKED], conditional UPDATEs,
//                     unique constraints). For the hot paths: allocation, call records,
//                     callback claims, sweeps. SQLite treats it as `write`.
enum class TxMode { read, read_statement, write, concurrent_write };

// The SQL the two dialects write differently, for statements shared by both.
struct SqlDialect {
  std::string name;        // "SQLite" or "PostgreSQL"
  bool row_locks = false;  // SQLite has none: its write transactions hold the whole file
  // A server answers every statement over a connection (PostgreSQL), so reads wait on it too;
  // SQLite's reads wait only on this process's CPU and page cache.
  bool reads_wait = false;
  // The aggregate that joins text with a separator: group_concat(x, sep) or string_agg.
  std::string text_aggregate = "group_concat";

  // What a SELECT that claims rows of `alias` ends with: " FOR UPDATE OF n SKIP LOCKED"
  // (other transactions' claimed rows are passed over) or " FOR UPDATE OF n"; "" in SQLite.
  std::string lock_clause(std::string_view alias, bool skip_locked) const {
    if (!row_locks) return "";
    return " FOR UPDATE OF " + std::string(alias) + (skip_locked ? " SKIP LOCKED" : "");
  }

  // What a SELECT of rows that the transaction will reference by foreign key ends with, so
  // they cannot be deleted before it commits: " FOR KEY SHARE OF w"; "" in SQLite.
  std::string key_share_clause(std::string_view alias) const {
    if (!row_locks) return "";
    return " FOR KEY SHARE OF " + std::string(alias);
  }
};

// A database the store runs SQL on. Statements run in the calling thread's transaction
// (SqlTransaction), so code called inside one needs no connection handed to it.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  virtual const SqlDialect& dialect() const = 0;
  // e.g. "SQLite ./callsight.db" or "PostgreSQL db.example:5432/callsight (pool of 8)".
  virtual std::string description() const = 0;
  // Schema text (CREATE TABLE ...) is written once, in SQLite's dialect; a backend with
  // another dialect translates it here.
  virtual std::string ddl(std::string_view sqlite_ddl) const { return std::string(sqlite_ddl); }

  // The cached prepared statement for `sql` on this thread's transaction's connection.
  virtual SqlStatement prepare(const std::string& sql) = 0;
  // Runs SQL text that may hold several statements and takes no parameters.
  virtual void exec(const std::string& sql) = 0;
  // Rows changed by the last statement run in this thread's transaction.
  virtual std::int64_t changes() = 0;

  virtual DatabasePoolStats pool_stats() const = 0;

  // Runs `work` as one write transaction (`write` or `concurrent_write`), as a SqlTransaction
  // around it would, and returns once it committed; rethrows what `work` threw, nothing of it
  // kept. A backend may run `work` on another thread: SQLite's group commit has the writer that
  // holds its connection run the queued writers' work (group_commit.hpp), so a waiting request
  // wakes once instead of twice. `work` must not depend on the thread it runs on, and opens no
  // transaction of its own.
  virtual void write_transaction(TxMode mode, const std::function<void()>& work);

  // write_transaction without waiting for its commit: `done` is called with null once `work`
  // committed, or with what it threw (nothing of it kept). A backend whose commits are not
  // shared runs it all on the calling thread before returning; SQLite's group commit runs
  // `work` on the thread that holds its connection and calls `done` from the one that
  // committed it, so the caller's thread does not sleep for the disk. `done` must not throw.
  using WriteDone = std::function<void(std::exception_ptr error)>;
  virtual void write_transaction_then(TxMode mode, std::function<void()> work, WriteDone done);

  // Used by SqlTransaction only.
  virtual void begin(TxMode mode) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  // How many write transactions on this node's database have ended (committed or not). A
  // cache of rows read here (store/sql/recent_rows.hpp) takes it before its read and keeps a
  // row only while it is unchanged, so a write on this node is seen by the next read at once.
  std::uint64_t write_generation() const { return write_generation_.load(); }
  // Called by SqlTransaction after a write transaction ended: after its commit returned, so a
  // read that sees the new generation also sees what the write committed.
  void note_write_ended() { write_generation_.fetch_add(1); }

 private:
  std::atomic<std::uint64_t> write_generation_{0};
};

// A transaction on the calling thread that rolls back unless commit() was reached.
// Transactions do not nest.
class SqlTransaction {
 public:
  SqlTransaction(SqlDatabase& db, TxMode mode)
      : db_(db), writes_(mode != TxMode::read && mode != TxMode::read_statement) {
    db_.begin(mode);
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  // A write's end is noted after its commit or rollback returned (see write_generation).
  ~SqlTransaction() {
    if (open_) db_.rollback();
    if (writes_) db_.note_write_ended();
  }
  void commit() {
    db_.commit();
    open_ = false;
  }

 private:
  SqlDatabase& db_;
  const bool writes_;
  bool open_ = true;
};

inline void SqlDatabase::write_transaction(TxMode mode, const std::function<void()>& work) {
  SqlTransaction tx(*this, mode);
  work();
  tx.commit();
}

inline void SqlDatabase::write_transaction_then(TxMode mode, std::function<void()> work,
                                                WriteDone done) {
  std::exception_ptr error;
  try {
    write_transaction(mode, work);
  } catch (...) {
    error = std::current_exception();
  }
  done(error);
}

// write_transaction_then for work that makes a value: `then` gets it once it is durable.
template <class T>
void write_transaction_then(SqlDatabase& db, TxMode mode, std::function<T()> work, Later<T> then) {
  auto result = std::make_shared<std::optional<T>>();
  db.write_transaction_then(
      mode, [result, work = std::move(work)] { result->emplace(work()); },
      [result, then = std::move(then)](const std::exception_ptr& error) {
        if (error) return then(std::nullopt, error);
        then(std::move(*result), nullptr);
      });
}

}  // namespace callsight
