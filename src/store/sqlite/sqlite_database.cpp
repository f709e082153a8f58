#include "store/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/cpu_slots.hpp"
#include "store/store.hpp"

namespace callsight {
namespace {

constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError("SQLite " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// The connection each SqliteDatabase lent to this thread's open transaction.
thread_local std::unordered_map<const SqliteDatabase*, SqliteConnection*> t_transactions;

// Runs a PRAGMA on a connection not yet owned by a SqliteDatabase; returns its first value.
std::string pragma_value(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) fail(db, sql);
  const int rc = sqlite3_step(stmt);
  std::string value;
  if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, sql);
  return value;
}

// SQLite runs "INSERT ... RETURNING id" by collecting the returned rows in a temporary table
// that it opens and closes on every execution: about 4 us per insert (6.3 against 2.1 us for
// the INSERT alone, SQLite 3.40), and 2% of a routed call's CPU went to that table's pager.
// A one-row INSERT ... VALUES into a table whose id is its rowid gives the same id through
// sqlite3_last_insert_rowid, so such statements are prepared without their RETURNING clause
// and answer with that id, as one row, when they inserted one.
constexpr std::string_view kInsertInto = "INSERT INTO ";
constexpr std::string_view kReturningId = " RETURNING id";

// Whether `table`'s id column is its rowid: the table has a rowid and id is its one primary
// key column, declared INTEGER.
bool id_is_rowid(sqlite3* db, std::string_view table) {
  constexpr const char* kQuery =
      "SELECT (SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1) = 0"
      " AND (SELECT COUNT(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1"
      " AND EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = 'id' AND pk = 1"
      " AND upper(type) = 'INTEGER')";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, kQuery, -1, &stmt, nullptr) != SQLITE_OK) fail(db, "prepare");
  sqlite3_bind_text(stmt, 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
  const bool is_rowid = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
  sqlite3_finalize(stmt);
  return is_rowid;
}

// The statement to prepare in place of `sql` when its RETURNING id can be read as the rowid.
std::optional<std::string_view> without_returning_rowid(sqlite3* db, std::string_view sql) {
  if (!sql.starts_with(kInsertInto) || !sql.ends_with(kReturningId)) return std::nullopt;
  const auto one_row_values = [&] {
    const auto values = sql.find(" VALUES (");
    return values != std::string_view::npos && sql.find("),", values) == std::string_view::npos;
  };
  // An upsert's RETURNING names the updated row, which sqlite3_last_insert_rowid does not.
  if (!one_row_values() || sql.find("SELECT") != std::string_view::npos ||
      sql.find("DO UPDATE") != std::string_view::npos) {
    return std::nullopt;
  }
  const auto table_end = sql.find_first_of(" (", kInsertInto.size());
  if (!id_is_rowid(db, sql.substr(kInsertInto.size(), table_end - kInsertInto.size()))) {
    return std::nullopt;
  }
  return sql.substr(0, sql.size() - kReturningId.size());
}

// A statement in the cache: `returns_rowid` when it was prepared without_returning_rowid.
// `bound` remembers the parameters in the order an execution bound them, with their index:
// executions of one statement bind in the same order, so the next name is checked against one
// remembered name instead of sqlite3_bind_parameter_index's scan of every name (strcmp after
// strcmp: 4.7% of POST /customers' CPU binding its 30 parameters, bench/README.md).
struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  bool returns_rowid = false;
  std::vector<std::pair<std::string, int>> bound;
};

// A cached statement lent out for one execution; reset and unbound when returned.
class SqliteStatement final : public SqlStatementImpl {
 public:
  explicit SqliteStatement(CachedStatement& cached) : cached_(cached), stmt_(cached.stmt) {}
  ~SqliteStatement() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  void bind_int64(const char* name, std::int64_t value) override {
    check(sqlite3_bind_int64(stmt_, index_of(name), value));
  }
  void bind_text(const char* name, std::string_view value) override {
    check(sqlite3_bind_text64(stmt_, index_of(name), value.data(), value.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }
  void bind_null(const char* name) override { check(sqlite3_bind_null(stmt_, index_of(name))); }

  bool step() override { return cached_.returns_rowid ? step_returning_rowid() : step_statement(); }

  bool is_null(int column) const override {
    if (cached_.returns_rowid) return false;
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t int64(int column) const override {
    if (cached_.returns_rowid) return inserted_rowid_;
    return sqlite3_column_int64(stmt_, column);
  }
  // One sqlite3_column_* call per column, its value read through sqlite3_value_*: each
  // column call checks the statement and its error state, which was a sixth of a 1000-row
  // CDR page (bench/README.md, "CDR pages written through a pointer"). The value is
  // "unprotected", which makes no difference on a connection opened NOMUTEX
  // (sqlite.org/c3ref/value.html).
  std::optional<std::int64_t> optional_int64(int column) const override {
    if (cached_.returns_rowid) return inserted_rowid_;
    auto* value = sqlite3_column_value(stmt_, column);
    if (sqlite3_value_type(value) == SQLITE_NULL) return std::nullopt;
    return sqlite3_value_int64(value);
  }
  std::string_view text_view(int column) const override {
    if (cached_.returns_rowid) throw std::logic_error("RETURNING id is read as an integer");
    auto* value = sqlite3_column_value(stmt_, column);
    const auto* data = reinterpret_cast<const char*>(sqlite3_value_text(value));
    if (data == nullptr) return {};
    return {data, static_cast<std::size_t>(sqlite3_value_bytes(value))};
  }

 private:
  bool step_statement() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(sqlite3_db_handle(stmt_), "step");
  }
  // The one row RETURNING id would give: the inserted row's id, none when nothing was
  // inserted (ON CONFLICT DO NOTHING). sqlite3_changes leaves out rows written by triggers.
  bool step_returning_rowid() {
    if (stepped_) return false;
    stepped_ = true;
    step_statement();
    sqlite3* db = sqlite3_db_handle(stmt_);
    if (sqlite3_changes64(db) == 0) return false;
    inserted_rowid_ = sqlite3_last_insert_rowid(db);
    return true;
  }

  int index_of(const char* name) {
    auto& bound = cached_.bound;
    const std::size_t position = binds_++;
    if (position < bound.size() && bound[position].first == name) return bound[position].second;
    const int index = sqlite3_bind_parameter_index(stmt_, name);
    if (index == 0) {
      throw std::logic_error(std::string("SQL has no parameter ") + name + ": " +
                             sqlite3_sql(stmt_));
    }
    // Learnt from the first execution; one that binds in another order looks its names up.
    if (position == bound.size() && position < kRememberedParameters) {
      bound.emplace_back(name, index);
    }
    return index;
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), "bind");
  }

  static constexpr std::size_t kRememberedParameters = 64;

  CachedStatement& cached_;  // lives as long as its connection, which outlives this
  sqlite3_stmt* stmt_;       // cached_.stmt
  std::size_t binds_ = 0;    // bind calls so far
  bool stepped_ = false;
  std::int64_t inserted_rowid_ = 0;
};

}  // namespace

// One connection with its cache of prepared statements.
struct SqliteConnection {
  SqliteConnection(const std::string& path, bool writer);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  SqlStatement prepare(const std::string& sql);
  void run(const char* sql) { prepare(sql).run(); }

  sqlite3* db = nullptr;
  std::unordered_map<std::string, CachedStatement> cache;
};

// Process-wide settings, made before SQLite's first use (sqlite3_config refuses them after).
// SQLite counts every allocation for sqlite3_memory_used() under a global mutex: a lock and
// an unlock around each of the dozens of allocations a write makes (perf: about 2% of a number
// request in pthread_mutex_lock and unlock). Nothing here reads those counts.
namespace {

void configure_sqlite() {
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;  // SQLITE_MISUSE when another part of the process used SQLite first
}

}  // namespace

SqliteConnection::SqliteConnection(const std::string& path, bool writer) {
  configure_sqlite();
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  // NOMUTEX: a connection is lent to one transaction, on one thread, at a time (its statement
  // cache relies on that too), so SQLite's own lock around every call only cost time: one lock
  // and unlock per column read, about 8% of a 1000-row CDR listing (perf).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, Closer> owned(raw);
  if (rc != SQLITE_OK) {
    throw StoreError("cannot open SQLite database " + path + ": " +
                     (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  // Small allocations (cursors, record buffers, savepoints) come from a connection's
  // lookaside before malloc: 500 slots instead of SQLite's default 100, so fewer fall through
  // to malloc (perf of a new visitor's number request: malloc and free 10% of its CPU before,
  // 7% after, with the setting above).
  sqlite3_db_config(raw, SQLITE_DBCONFIG_LOOKASIDE, nullptr, 1200, 500);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (writer) {
    // WAL lets readers proceed beside the writer; synchronous=FULL fsyncs the WAL at every
    // commit, so an acknowledged write survives a SIGKILL and a power loss.
    if (pragma_value(raw, "PRAGMA journal_mode=WAL") != "wal") {
      throw StoreError("SQLite database " + path + " cannot use WAL journaling");
    }
    pragma_value(raw, "PRAGMA synchronous=FULL");
    pragma_value(raw, "PRAGMA foreign_keys=ON");
    // Every write transaction is a SAVEPOINT of the group commit's batch, and a page's first
    // change inside a savepoint is copied to the sub-journal first: a temporary file by
    // default, so a pwrite system call per page and member. Only a rollback to the savepoint
    // reads it (the WAL alone makes commits durable), so it can live in memory.
    pragma_value(raw, "PRAGMA temp_store=MEMORY");
  } else {
    // A read transaction that tried to write would bypass the group commit.
    pragma_value(raw, "PRAGMA query_only=ON");
  }
  // The default 2 MiB page cache is smaller than the CDR index of a busy partner, so every
  // listing's COUNT re-read it from the OS (bench/README.md); 32 MiB keeps it in memory.
  pragma_value(raw, "PRAGMA cache_size=-32768");
  // A reader's page cache starts empty after every commit by the writer, so each page it reads
  // was a pread (a costly system call on virtual machines); mapped, it is a memory read. Writes
  // still go through write(), so a crash leaves the file as before.
  pragma_value(raw, "PRAGMA mmap_size=1073741824");
  db = owned.release();
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, cached] : cache) sqlite3_finalize(cached.stmt);
  sqlite3_close(db);
}

SqlStatement SqliteConnection::prepare(const std::string& sql) {
  if (const auto it = cache.find(sql); it != cache.end()) {
    return SqlStatement(std::make_unique<SqliteStatement>(it->second));
  }
  const auto stripped = without_returning_rowid(db, sql);
  const std::string_view text = stripped.value_or(sql);
  CachedStatement cached{.returns_rowid = stripped.has_value()};
  if (sqlite3_prepare_v3(db, text.data(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT,
                         &cached.stmt, nullptr) != SQLITE_OK) {
    fail(db, "prepare");
  }
  auto& stored = cache.emplace(sql, std::move(cached)).first->second;
  return SqlStatement(std::make_unique<SqliteStatement>(stored));
}

namespace {

void rollback_reader(SqliteConnection& reader) noexcept {
  if (sqlite3_get_autocommit(reader.db)) return;  // read_statement: nothing was begun
  try {
    reader.run("ROLLBACK");
  } catch (const StoreError&) {
    // The transaction has ended already (a failed COMMIT may end it); nothing to undo.
  }
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, int readers)
    : path_(std::filesystem::absolute(path).lexically_normal().string()),
      max_readers_(readers < 1 ? 1 : readers),
      writer_(std::make_unique<SqliteConnection>(path, /*writer=*/true)),
      group_(*this) {
  checkpointer_.watch(writer_->db,
                      [this](const std::function<void()>& work) { group_.between_batches(work); });
}

SqliteDatabase::~SqliteDatabase() = default;

const SqlDialect& SqliteDatabase::dialect() const {
  // SQLite has no row locks: a write transaction holds the whole database.
  static const SqlDialect kSqlite{.name = "SQLite", .row_locks = false};
  return kSqlite;
}

std::string SqliteDatabase::description() const { return "SQLite " + path_; }

SqliteConnection& SqliteDatabase::current() const {
  const auto it = t_transactions.find(this);
  if (it == t_transactions.end()) {
    throw std::logic_error("SQLite statement outside a transaction on this thread");
  }
  return *it->second;
}

void SqliteDatabase::exec(const std::string& sql) {
  sqlite3* db = current().db;
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    throw StoreError("SQLite: " + message);
  }
}

SqlStatement SqliteDatabase::prepare(const std::string& sql) { return current().prepare(sql); }

std::int64_t SqliteDatabase::changes() { return sqlite3_changes(current().db); }

// Reads use a deferred transaction on a reader connection for a consistent snapshot of what
// has committed; writes join the group commit on the writer connection.
void SqliteDatabase::begin(TxMode mode) {
  if (t_transactions.contains(this)) throw std::logic_error("SQLite transactions do not nest");
  if (mode != TxMode::read && mode != TxMode::read_statement) {
    group_.begin();
    t_transactions.emplace(this, writer_.get());
    return;
  }
  SqliteConnection* reader = checkout_reader();
  // A read_statement runs in autocommit mode: the statement's own read snapshot, taken at its
  // first step and let go when it is reset.
  if (mode == TxMode::read) {
    try {
      reader->run("BEGIN DEFERRED");
    } catch (...) {
      checkin_reader(reader);
      throw;
    }
  }
  t_transactions.emplace(this, reader);
}

void SqliteDatabase::check_write_transaction(TxMode mode) const {
  if (mode == TxMode::read || mode == TxMode::read_statement) {
    throw std::logic_error("SQLite write_transaction for a read");
  }
  if (t_transactions.contains(this)) throw std::logic_error("SQLite transactions do not nest");
}

// On whichever thread holds the writer connection, which is this one's for the work.
void SqliteDatabase::run_on_writer(const std::function<void()>& work) {
  t_transactions.emplace(this, writer_.get());
  struct Leave {
    const SqliteDatabase* db;
    ~Leave() { t_transactions.erase(db); }
  } leave{this};
  work();
}

void SqliteDatabase::write_transaction(TxMode mode, const std::function<void()>& work) {
  check_write_transaction(mode);
  // Noted when the shared commit (or the rollback) returned, as SqlTransaction notes it: the
  // rows read from memory (recent_rows.hpp) go stale with any write of this node.
  struct Ended {
    SqliteDatabase& db;
    ~Ended() { db.note_write_ended(); }
  } ended{*this};
  group_.run([this, &work] { run_on_writer(work); });
}

void SqliteDatabase::write_transaction_then(TxMode mode, std::function<void()> work,
                                            WriteDone done) {
  check_write_transaction(mode);
  group_.run_then([this, work = std::move(work)] { run_on_writer(work); },
                  [this, done = std::move(done)](std::exception_ptr error) {
                    note_write_ended();  // before the answer, as write_transaction's return
                    done(std::move(error));
                  });
}

void SqliteDatabase::commit() {
  const auto it = t_transactions.find(this);
  if (it == t_transactions.end()) throw std::logic_error("SQLite commit outside a transaction");
  SqliteConnection* connection = it->second;
  t_transactions.erase(it);
  if (connection == writer_.get()) return group_.commit();
  try {
    if (!sqlite3_get_autocommit(connection->db)) connection->run("COMMIT");
  } catch (...) {
    rollback_reader(*connection);
    checkin_reader(connection);
    throw;
  }
  checkin_reader(connection);
}

void SqliteDatabase::rollback() noexcept {
  const auto it = t_transactions.find(this);
  if (it == t_transactions.end()) return;  // commit() failed and already ended it
  SqliteConnection* connection = it->second;
  t_transactions.erase(it);
  if (connection == writer_.get()) return group_.rollback();
  rollback_reader(*connection);
  checkin_reader(connection);
}

void SqliteDatabase::open_batch() { writer_->run("BEGIN IMMEDIATE"); }

void SqliteDatabase::commit_batch() {
  try {
    writer_->run("COMMIT");
  } catch (const StoreError&) {
    abandon_batch();
    throw;
  }
}

void SqliteDatabase::abandon_batch() noexcept {
  if (sqlite3_get_autocommit(writer_->db)) return;  // SQLite already rolled it back
  try {
    writer_->run("ROLLBACK");
  } catch (const StoreError&) {
    // Nothing is left to undo when even ROLLBACK fails; the next BEGIN starts afresh.
  }
}

void SqliteDatabase::run_on_batch(const char* sql) { writer_->run(sql); }

// SQLite rolls the whole transaction back by itself after some errors (I/O, disk full, out
// of memory); it is then back in autocommit mode.
bool SqliteDatabase::batch_alive() noexcept { return sqlite3_get_autocommit(writer_->db) == 0; }

SqliteConnection* SqliteDatabase::checkout_reader() {
  // Declared before the lock: its end takes a CPU slot again, which may wait, after unlocking.
  std::optional<CpuSlotReleased> waiting;
  std::unique_lock lock(readers_mutex_);
  const auto free = [this] {
    return !idle_readers_.empty() || readers_.size() < static_cast<std::size_t>(max_readers_);
  };
  if (!free()) {
    waiting.emplace();
    const auto started = std::chrono::steady_clock::now();
    reader_released_.wait(lock, free);
    ++reader_waits_;
    reader_wait_time_ += std::chrono::steady_clock::now() - started;
  }
  if (!idle_readers_.empty()) {
    SqliteConnection* reader = idle_readers_.back();  // the most recently used: warm cache
    idle_readers_.pop_back();
    return reader;
  }
  // Opened under the lock: rare (up to max_readers_ times), and the slot stays counted.
  return readers_.emplace_back(std::make_unique<SqliteConnection>(path_, /*writer=*/false)).get();
}

void SqliteDatabase::checkin_reader(SqliteConnection* reader) noexcept {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(reader);
  }
  reader_released_.notify_one();
}

DatabasePoolStats SqliteDatabase::pool_stats() const {
  const GroupCommit::Stats writes = group_.stats();
  std::lock_guard lock(readers_mutex_);
  const auto open_readers = static_cast<int>(readers_.size());
  return {
      .size = 1 + max_readers_,
      .open = 1 + open_readers,
      .in_use = (writes.running ? 1 : 0) + open_readers - static_cast<int>(idle_readers_.size()),
      .waits = writes.waits + reader_waits_,
      .wait_seconds =
          writes.wait_seconds + std::chrono::duration<double>(reader_wait_time_).count(),
      .group_commits = writes.batches,
      .group_committed_transactions = writes.members,
      .checkpoints = checkpointer_.stats()};
}

}  // namespace callsight
