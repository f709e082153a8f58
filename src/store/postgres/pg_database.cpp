#include "store/postgres/pg_database.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <functional>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "common/cpu_slots.hpp"
#include "common/text.hpp"
#include "store/postgres/postgres_ddl.hpp"
#include "store/store.hpp"

namespace callsight {

struct PgPrepared {
  std::string name;                // the server-side statement name, "s<N>"
  std::vector<std::string> names;  // ":name" of $1..$n
};

struct PgConnection {
  PgConnection() = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection() {
    if (conn != nullptr) PQfinish(conn);
  }

  PGconn* conn = nullptr;
  bool broken = false;  // lost its server; reconnected before its next use
  std::unordered_map<std::string, PgPrepared> statements;  // by the caller's SQL text
  std::int64_t changes = 0;
  // Messages sent to the server whose answer was or will be read; a pipeline counts once
  // (PgDatabase::round_trips). Read by other threads, hence atomic.
  std::atomic<std::uint64_t> round_trips{0};
  // The open transaction's mode. A read or concurrent_write transaction's BEGIN waits to
  // travel with its first statement, and a read transaction's COMMIT is not waited for: each
  // would otherwise be a round trip of its own (issue 18 item 4).
  TxMode mode = TxMode::read;
  bool begin_pending = false;
  // A `write` batch member's SAVEPOINT waits to travel with the member's first statement, and
  // its RELEASE with the next member's (a batch's COMMIT releases it without being told):
  // each was a round trip of its own (PgDatabase::run_on_batch).
  enum class Savepoint { none, pending, open } savepoint = Savepoint::none;
  std::string savepoint_sql;  // as GroupCommit sent it
  bool release_pending = false;
  std::string release_sql;
  bool commit_pending = false;   // its answer is read before the connection's next use
  bool reading = false;          // the open transaction is a read transaction
  bool alone = false;            // ... of one statement, run without BEGIN and COMMIT
  std::function<void()> reopen;  // a new session for this connection (PgDatabase::connect)
};

namespace {

// The transaction-scoped advisory lock every `write` transaction takes ("callsigh" in ASCII).
// Advisory locks are per database, so databases sharing a server do not contend.
constexpr std::int64_t kWriteLockKey = 0x63616c6c73696768;

// The connection each PgDatabase lent to this thread's open transaction, and whether that
// is the group commit's batch connection (which stays checked out when the member ends).
struct Binding {
  PgConnection* connection = nullptr;
  bool batched = false;
};
thread_local std::unordered_map<const PgDatabase*, Binding> t_transactions;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

std::int64_t parse_count(const char* text) {
  std::int64_t count = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), count);
  return count;  // "" (a command without a row count) leaves 0
}

// Class 08 is a connection exception; 57P01-57P03 are the server shutting down or
// terminating the session. Either way the session is gone.
bool session_lost(const PgConnection& connection, const PGresult* result) {
  if (PQstatus(connection.conn) != CONNECTION_OK) return true;
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state == nullptr) return result == nullptr;
  const std::string_view sqlstate(state);
  return sqlstate.starts_with("08") || sqlstate.starts_with("57P0");
}

[[noreturn]] void fail(PgConnection& connection, const PGresult* result, std::string_view sql) {
  const bool lost = session_lost(connection, result);
  if (lost) connection.broken = true;
  std::string message = "PostgreSQL: ";
  const char* primary =
      result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary != nullptr) {
    message += primary;
    if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
      message += std::string(" (") + detail + ")";
    }
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) {
      message += std::string(" [SQLSTATE ") + state + "]";
    }
  } else {
    message += trimmed(PQerrorMessage(connection.conn));
  }
  if (lost) throw UnavailableError(message + " in: " + std::string(sql));
  throw StoreError(message + " in: " + std::string(sql));
}

Result checked(PgConnection& connection, PGresult* raw, std::string_view sql) {
  Result result(raw);
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    fail(connection, result.get(), sql);
  }
  return result;
}

// Every call that waits for the server gives the thread's CPU slot back meanwhile: the answer
// may wait on a row lock that a thread waiting for a slot holds (common/cpu_slots.hpp).
Result run(PgConnection& connection, const std::string& sql) {
  const CpuSlotReleased waiting;
  ++connection.round_trips;
  return checked(connection, PQexec(connection.conn, sql.c_str()), sql);
}

// Reads the answer to a read transaction's COMMIT that was sent without waiting. A read-only
// transaction has nothing to lose; only a lost session matters, and marks the connection.
void settle_commit(PgConnection& connection) noexcept {
  if (!connection.commit_pending) return;
  connection.commit_pending = false;
  const CpuSlotReleased waiting;
  while (PGresult* raw = PQgetResult(connection.conn)) {
    const Result result(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && session_lost(connection, raw)) {
      connection.broken = true;
    }
  }
  if (PQstatus(connection.conn) != CONNECTION_OK) connection.broken = true;
}

// The prepared statement for sql on this connection, prepared on first use.
const std::pair<const std::string, PgPrepared>& prepared_on(PgConnection& connection,
                                                            const std::string& sql) {
  auto it = connection.statements.find(sql);
  if (it == connection.statements.end()) {
    auto translated = translate_named_parameters(sql);
    PgPrepared prepared{"s" + std::to_string(connection.statements.size()),
                        std::move(translated.names)};
    const CpuSlotReleased waiting;
    ++connection.round_trips;
    checked(connection,
            PQprepare(connection.conn, prepared.name.c_str(), translated.text.c_str(), 0, nullptr),
            sql);
    it = connection.statements.emplace(sql, std::move(prepared)).first;
  }
  return *it;
}

// Statements a session keeps prepared before it drops them all and starts over: the texts are
// a bounded set (one per filter combination and, since listings write their LIMIT out, per
// page size), but large enough that a client trying every page size would otherwise grow each
// session's memory on the server without end.
constexpr std::size_t kMaxPreparedStatements = 512;

// Between transactions (no statement of the connection is alive): a session at the bound
// drops its prepared statements.
void forget_statements_at_bound(PgConnection& connection) noexcept {
  if (connection.statements.size() < kMaxPreparedStatements || connection.broken) return;
  connection.statements.clear();
  const CpuSlotReleased waiting;
  ++connection.round_trips;
  const Result result(PQexec(connection.conn, "DEALLOCATE ALL"));
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) connection.broken = true;
}

const std::string& begin_sql(TxMode mode) {
  static const std::string read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  static const std::string write =
      "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kWriteLockKey) + ")";
  static const std::string concurrent_write = "BEGIN";
  switch (mode) {
    case TxMode::read:
    case TxMode::read_statement:
      return read;
    case TxMode::write:
      return write;
    case TxMode::concurrent_write:
      break;
  }
  return concurrent_write;
}

// Ends the connection's transaction before it goes back to the pool; a session that cannot
// is marked broken and reset at its next checkout.
void abandon(PgConnection& connection) noexcept {
  settle_commit(connection);
  if (connection.broken) return;
  if (std::exchange(connection.begin_pending, false)) return;  // nothing was started
  if (connection.alone) return;  // a statement alone needs no ROLLBACK
  const CpuSlotReleased waiting;
  ++connection.round_trips;
  Result result(PQexec(connection.conn, "ROLLBACK"));
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) connection.broken = true;
}

// What must reach the server before the batch connection's next statement: a member's
// RELEASE and SAVEPOINT that were put off. Taken, they count as sent.
std::vector<const std::string*> take_savepoint_work(PgConnection& connection) {
  std::vector<const std::string*> ahead;
  if (std::exchange(connection.release_pending, false)) ahead.push_back(&connection.release_sql);
  if (connection.savepoint == PgConnection::Savepoint::pending) {
    connection.savepoint = PgConnection::Savepoint::open;
    ahead.push_back(&connection.savepoint_sql);
  }
  return ahead;
}

bool savepoint_work_pending(const PgConnection& connection) {
  return connection.release_pending || connection.savepoint == PgConnection::Savepoint::pending;
}

class PgStatement final : public SqlStatementImpl {
 public:
  PgStatement(PgConnection& connection, const std::pair<const std::string, PgPrepared>& prepared)
      : connection_(connection),
        prepared_(&prepared.second),
        sql_(&prepared.first),
        values_(prepared.second.names.size()) {}

  void bind_int64(const char* name, std::int64_t value) override {
    values_[index_of(name)] = std::to_string(value);
  }
  void bind_text(const char* name, std::string_view value) override {
    // Text parameters travel NUL-terminated; PostgreSQL text cannot hold NUL anyway.
    if (value.find('\0') != std::string_view::npos) {
      throw StoreError(std::string("PostgreSQL text cannot hold a NUL character (") + name + ")");
    }
    values_[index_of(name)] = std::string(value);
  }
  void bind_null(const char* name) override { values_[index_of(name)].reset(); }

  bool step() override {
    if (!result_) execute();
    return ++row_ < PQntuples(result_.get());
  }

  bool is_null(int column) const override {
    check_row();
    return PQgetisnull(result_.get(), row_, column) != 0;
  }

  // NULL reads as 0 and booleans as 1/0, as SQLite would give them.
  std::int64_t int64(int column) const override {
    if (is_null(column)) return 0;
    const char* value = PQgetvalue(result_.get(), row_, column);
    const char* end = value + PQgetlength(result_.get(), row_, column);
    if (end - value == 1 && (*value == 't' || *value == 'f')) return *value == 't' ? 1 : 0;
    std::int64_t number = 0;
    const auto [stop, error] = std::from_chars(value, end, number);
    if (error != std::errc() || stop != end || value == end) {
      throw StoreError("PostgreSQL column " + std::to_string(column) + " holds '" +
                       std::string(value, end) + "', not an integer, in: " + *sql_);
    }
    return number;
  }

  std::string_view text_view(int column) const override {
    if (is_null(column)) return {};
    return {PQgetvalue(result_.get(), row_, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))};
  }

 private:
  std::size_t index_of(const char* name) const {
    for (std::size_t i = 0; i < prepared_->names.size(); ++i) {
      if (prepared_->names[i] == name) return i;
    }
    throw std::logic_error(std::string("SQL has no parameter ") + name + ": " + *sql_);
  }

  void check_row() const {
    if (!result_ || row_ < 0 || row_ >= PQntuples(result_.get())) {
      throw std::logic_error("no current row to read in: " + *sql_);
    }
  }

  // Parameters go as text of unspecified type (OID 0): the server infers each from its use.
  void execute() {
    std::vector<const char*> values;
    values.reserve(values_.size());
    for (const auto& value : values_) values.push_back(value ? value->c_str() : nullptr);
    const CpuSlotReleased waiting;
    ++connection_.round_trips;
    if (connection_.begin_pending) {
      result_ = begin_with(values);
    } else if (savepoint_work_pending(connection_)) {
      result_ = pipelined(values, take_savepoint_work(connection_));
    } else {
      result_ = checked(
          connection_,
          PQexecPrepared(connection_.conn, prepared_->name.c_str(), static_cast<int>(values.size()),
                         values.data(), nullptr, nullptr, 0),
          *sql_);
    }
    connection_.changes = parse_count(PQcmdTuples(result_.get()));
  }

  // A read or concurrent_write transaction's first statement: BEGIN and the statement in one
  // round trip (libpq's pipeline mode), or the statement alone (TxMode::read_statement). A
  // session that died while idle fails here before anything ran, so it is reopened and both are
  // sent again once, as a failed BEGIN used to be. The sync that ends the pipeline commits
  // nothing inside BEGIN's block: a write lost with its session was never committed, so sending
  // it again on the new session cannot apply it twice.
  Result begin_with(const std::vector<const char*>& values) {
    connection_.begin_pending = false;
    std::vector<const std::string*> ahead;
    if (!connection_.alone) ahead.push_back(&begin_sql(connection_.mode));
    try {
      return pipelined(values, ahead);
    } catch (const StoreError&) {
      if (!connection_.broken) throw;
    }
    const std::string sql = *sql_;  // reopening forgets the connection's statements
    connection_.reopen();
    const auto& prepared = prepared_on(connection_, sql);
    prepared_ = &prepared.second;
    sql_ = &prepared.first;
    return pipelined(values, ahead);
  }

  // The statement in one pipeline after `ahead` (parameterless statements: BEGIN, or a batch
  // member's RELEASE and SAVEPOINT).
  Result pipelined(const std::vector<const char*>& values,
                   const std::vector<const std::string*>& ahead) {
    PGconn* conn = connection_.conn;
    bool sent = PQenterPipelineMode(conn) == 1;
    for (const std::string* sql : ahead) {
      sent = sent &&
             PQsendQueryParams(conn, sql->c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    }
    sent = sent &&
           PQsendQueryPrepared(conn, prepared_->name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0) == 1 &&
           PQpipelineSync(conn) == 1;
    // Every answer up to the sync is read, whatever failed, so the connection leaves
    // pipeline mode clean; the first failure is the one reported.
    std::vector<Result> ahead_results;
    for (std::size_t i = 0; i < ahead.size(); ++i) {
      ahead_results.push_back(sent ? next_result() : nullptr);
    }
    Result statement_result = sent ? next_result() : nullptr;
    const Result sync = sent ? Result(PQgetResult(conn)) : nullptr;
    const bool synced = sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC;
    if (!synced || PQexitPipelineMode(conn) != 1) connection_.broken = true;
    for (std::size_t i = 0; i < ahead.size(); ++i) {
      checked(connection_, ahead_results[i].release(), *ahead[i]);
    }
    Result result = checked(connection_, statement_result.release(), *sql_);
    if (!synced) fail(connection_, nullptr, *sql_);
    return result;
  }

  // One query's answer in pipeline mode, and the null that ends it.
  Result next_result() {
    Result result(PQgetResult(connection_.conn));
    if (result) Result end(PQgetResult(connection_.conn));
    return result;
  }

  PgConnection& connection_;
  const PgPrepared* prepared_;
  const std::string* sql_;
  std::vector<std::optional<std::string>> values_;
  Result result_;
  int row_ = -1;
};

}  // namespace

PgParameterizedSql translate_named_parameters(std::string_view sql) {
  PgParameterizedSql out;
  out.text.reserve(sql.size());
  std::size_t at = 0;
  const auto copy_until = [&](std::string_view terminator, std::size_t from) {
    const auto end = sql.find(terminator, from);
    const auto stop = end == std::string_view::npos ? sql.size() : end + terminator.size();
    out.text.append(sql.substr(at, stop - at));
    at = stop;
  };
  while (at < sql.size()) {
    const char c = sql[at];
    const std::string_view two = sql.substr(at, 2);
    if (c == '\'' || c == '"') {
      copy_until(std::string_view(&sql[at], 1), at + 1);  // '' reads as two adjacent literals
    } else if (two == "--") {
      copy_until("\n", at);
    } else if (two == "/*") {
      copy_until("*/", at + 2);
    } else if (two == "::") {
      out.text.append(two);
      at += 2;
    } else if (c == ':' && at + 1 < sql.size() && is_ascii_word_char(sql[at + 1]) &&
               !std::isdigit(static_cast<unsigned char>(sql[at + 1]))) {
      auto end = at + 1;
      while (end < sql.size() && is_ascii_word_char(sql[end])) ++end;
      const std::string name(sql.substr(at, end - at));
      std::size_t index = 0;
      while (index < out.names.size() && out.names[index] != name) ++index;
      if (index == out.names.size()) out.names.push_back(name);
      out.text += "$" + std::to_string(index + 1);
      at = end;
    } else {
      out.text += c;
      ++at;
    }
  }
  return out;
}

PgDatabase::PgDatabase(const std::string& url, int pool_size,
                       std::chrono::milliseconds checkout_timeout)
    : url_(url), pool_size_(pool_size), checkout_timeout_(checkout_timeout) {
  if (pool_size < 1) throw std::invalid_argument("PostgreSQL pool size must be at least 1");
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    const std::string reason = error != nullptr ? trimmed(error) : "out of memory";
    PQfreemem(error);
    throw StoreError("invalid PostgreSQL URL: " + reason);
  }
  std::string host = "localhost";
  std::string port = "5432";
  std::string dbname;
  for (auto* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') continue;
    const std::string_view keyword(option->keyword);
    if (keyword == "host") host = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") dbname = option->val;
  }
  PQconninfoFree(options);
  description_ = "PostgreSQL " + host + ":" + port + "/" + dbname + " (pool of " +
                 std::to_string(pool_size) + ")";
}

PgDatabase::~PgDatabase() = default;

const SqlDialect& PgDatabase::dialect() const {
  static const SqlDialect dialect{
      .name = "PostgreSQL", .row_locks = true, .reads_wait = true, .text_aggregate = "string_agg"};
  return dialect;
}

std::string PgDatabase::ddl(std::string_view sqlite_ddl) const { return postgres_ddl(sqlite_ddl); }

std::string PgDatabase::description() const { return description_; }

PgConnection& PgDatabase::current() const {
  const auto it = t_transactions.find(this);
  if (it == t_transactions.end()) {
    throw std::logic_error("PostgreSQL statement outside a transaction on this thread");
  }
  return *it->second.connection;
}

// Opens the connection the first time, reopens it after it broke. Prepared statements do
// not survive the session.
void PgDatabase::connect(PgConnection& connection) const {
  connection.statements.clear();
  const CpuSlotReleased waiting;
  if (connection.conn == nullptr) {
    // Keywords before the URL are defaults the URL may override.
    const char* keywords[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                              nullptr};
    const char* values[] = {"10", "callsight", "UTF8", url_.c_str(), nullptr};
    connection.conn = PQconnectdbParams(keywords, values, 1);
  } else {
    PQreset(connection.conn);
  }
  connection.broken = connection.conn == nullptr || PQstatus(connection.conn) != CONNECTION_OK;
  // NOTICEs (e.g. "already exists, skipping") are expected chatter; libpq would print them
  // to stderr.
  if (!connection.broken)
    PQsetNoticeProcessor(
        connection.conn, [](void*, const char*) {}, nullptr);
  if (connection.broken) {
    throw UnavailableError(
        "cannot connect to " + description_ + ": " +
        (connection.conn ? trimmed(PQerrorMessage(connection.conn)) : "out of memory"));
  }
}

PgConnection* PgDatabase::checkout() {
  // Declared before the lock: its end takes a CPU slot again, which may wait, after unlocking.
  std::optional<CpuSlotReleased> waiting;
  std::unique_lock lock(mutex_);
  const auto free = [this] {
    return !idle_.empty() || connections_.size() < static_cast<std::size_t>(pool_size_);
  };
  if (!free()) {
    waiting.emplace();
    const auto started = std::chrono::steady_clock::now();
    const bool available = released_.wait_for(lock, checkout_timeout_, free);
    ++waits_;
    wait_time_ += std::chrono::steady_clock::now() - started;
    if (!available) {
      ++timeouts_;
      throw UnavailableError(description_ + ": no connection free within " +
                             std::to_string(checkout_timeout_.count()) + " ms");
    }
  }
  PgConnection* connection = nullptr;
  if (!idle_.empty()) {
    connection = idle_.back();  // the most recently used: its statements are warm
    idle_.pop_back();
  } else {
    connection = connections_.emplace_back(std::make_unique<PgConnection>()).get();
    connection->reopen = [this, connection] { connect(*connection); };
  }
  lock.unlock();
  settle_commit(*connection);
  if (connection->conn != nullptr) forget_statements_at_bound(*connection);
  if (connection->conn == nullptr || connection->broken ||
      PQstatus(connection->conn) != CONNECTION_OK) {
    try {
      connect(*connection);
    } catch (...) {
      checkin(connection);
      throw;
    }
  }
  return connection;
}

DatabasePoolStats PgDatabase::pool_stats() const {
  const GroupCommit::Stats writes = group_.stats();
  std::lock_guard lock(mutex_);
  const auto open = static_cast<int>(connections_.size());
  return {.size = pool_size_,
          .open = open,
          .in_use = open - static_cast<int>(idle_.size()),
          .waits = waits_,
          .wait_seconds = std::chrono::duration<double>(wait_time_).count(),
          .timeouts = timeouts_,
          .group_commits = writes.batches,
          .group_committed_transactions = writes.members};
}

std::uint64_t PgDatabase::round_trips() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& connection : connections_) total += connection->round_trips.load();
  return total;
}

void PgDatabase::checkin(PgConnection* connection) noexcept {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(connection);
  }
  released_.notify_one();
}

// Starts a transaction on a checked-out connection.
void PgDatabase::begin_on(PgConnection& connection, TxMode mode) {
  connection.mode = mode;
  connection.savepoint = PgConnection::Savepoint::none;
  connection.release_pending = false;
  connection.reading = mode == TxMode::read || mode == TxMode::read_statement;
  connection.alone = mode == TxMode::read_statement;
  // A read or concurrent_write transaction's BEGIN is sent with its first statement
  // (PgStatement::begin_with). A `write` transaction's BEGIN takes the advisory lock in a second
  // statement, which the extended protocol cannot carry in one message: it is run here.
  connection.begin_pending = mode != TxMode::write;
  if (!connection.begin_pending) run_begin(connection, mode);
}

void PgDatabase::run_begin(PgConnection& connection, TxMode mode) {
  try {
    run(connection, begin_sql(mode));
  } catch (const StoreError&) {
    // A session that died while idle (server restart, idle timeout) fails at BEGIN, before
    // anything ran: starting over on a new session is safe.
    if (!connection.broken) throw;
    connect(connection);
    run(connection, begin_sql(mode));
  }
}

PgConnection* PgDatabase::checkout_in_transaction(TxMode mode) {
  PgConnection* connection = checkout();
  try {
    begin_on(*connection, mode);
  } catch (...) {
    abandon(*connection);
    checkin(connection);
    throw;
  }
  return connection;
}

void PgDatabase::commit_and_checkin(PgConnection* connection) {
  if (connection->reading) {
    // A read transaction has nothing to make durable: its COMMIT is sent and its answer read
    // at the connection's next checkout; one that never began needs none.
    if (!std::exchange(connection->begin_pending, false) && !connection->alone) {
      ++connection->round_trips;
      connection->commit_pending = PQsendQuery(connection->conn, "COMMIT") == 1;
      if (!connection->commit_pending) connection->broken = true;
    }
    checkin(connection);
    return;
  }
  // A write transaction whose BEGIN is still pending ran nothing: there is nothing to commit.
  if (std::exchange(connection->begin_pending, false)) {
    checkin(connection);
    return;
  }
  // Whether COMMIT succeeds or fails, the server has ended the transaction.
  Result result;
  try {
    result = run(*connection, "COMMIT");
  } catch (...) {
    checkin(connection);
    throw;
  }
  checkin(connection);
  // COMMIT of a transaction in which a statement failed rolls back, and says so only here.
  if (std::string_view(PQcmdStatus(result.get())) == "ROLLBACK") {
    throw StoreError("PostgreSQL rolled the transaction back: a statement in it had failed");
  }
}

void PgDatabase::begin(TxMode mode) {
  if (t_transactions.contains(this)) {
    throw std::logic_error("PostgreSQL transactions do not nest");
  }
  if (mode == TxMode::write) {
    group_.begin();
    batch_connection_->changes = 0;
    t_transactions.emplace(this, Binding{batch_connection_, /*batched=*/true});
    return;
  }
  PgConnection* connection = checkout_in_transaction(mode);
  connection->changes = 0;
  t_transactions.emplace(this, Binding{connection, /*batched=*/false});
}

void PgDatabase::commit() {
  const auto it = t_transactions.find(this);
  if (it == t_transactions.end()) throw std::logic_error("PostgreSQL commit outside a transaction");
  const Binding binding = it->second;
  t_transactions.erase(it);
  if (binding.batched) return group_.commit();
  commit_and_checkin(binding.connection);
}

void PgDatabase::rollback() noexcept {
  const auto it = t_transactions.find(this);
  if (it == t_transactions.end()) return;  // commit() failed and already ended it
  const Binding binding = it->second;
  t_transactions.erase(it);
  if (binding.batched) return group_.rollback();
  abandon(*binding.connection);
  checkin(binding.connection);
}

void PgDatabase::open_batch() { batch_connection_ = checkout_in_transaction(TxMode::write); }

// COMMIT releases every savepoint still open: a put-off RELEASE is not sent.
void PgDatabase::commit_batch() {
  PgConnection* connection = std::exchange(batch_connection_, nullptr);
  connection->release_pending = false;
  connection->savepoint = PgConnection::Savepoint::none;
  commit_and_checkin(connection);
}

void PgDatabase::abandon_batch() noexcept {
  PgConnection* connection = std::exchange(batch_connection_, nullptr);
  if (connection == nullptr) return;
  abandon(*connection);
  checkin(connection);
}

// GroupCommit's savepoint statements around each member, put off where the server need not see
// them yet (issue 18 item 4): a member's SAVEPOINT goes with its first statement, and its
// RELEASE with the next member's first statement, or is left to the batch's COMMIT; a member
// that ran no statement sends neither, nor its ROLLBACK TO. A RELEASE after a statement of the
// member failed is sent at once, so that its refusal fails this member, not the next one.
// Anything else, and anything out of the expected order, runs at once after what was put off.
void PgDatabase::run_on_batch(const char* sql) {
  using Savepoint = PgConnection::Savepoint;
  PgConnection& connection = *batch_connection_;
  const std::string_view text(sql);
  if (text.starts_with("SAVEPOINT ") && connection.savepoint == Savepoint::none) {
    connection.savepoint = Savepoint::pending;
    connection.savepoint_sql = text;
    return;
  }
  if (text.starts_with("RELEASE SAVEPOINT ")) {
    if (connection.savepoint == Savepoint::pending) {
      connection.savepoint = Savepoint::none;
      return;
    }
    if (connection.savepoint == Savepoint::open && !connection.release_pending &&
        PQtransactionStatus(connection.conn) == PQTRANS_INTRANS) {
      connection.savepoint = Savepoint::none;
      connection.release_pending = true;
      connection.release_sql = text;
      return;
    }
  }
  if (text.starts_with("ROLLBACK TO SAVEPOINT ") && connection.savepoint == Savepoint::pending) {
    return;  // the member ran nothing; its RELEASE follows and drops the savepoint
  }
  std::string work;
  for (const std::string* ahead : take_savepoint_work(connection)) work += *ahead + "; ";
  run(connection, work + sql);
  if (text.starts_with("SAVEPOINT ")) connection.savepoint = Savepoint::open;
  if (text.starts_with("RELEASE SAVEPOINT ")) connection.savepoint = Savepoint::none;
}

// A statement that failed leaves the transaction in error until its savepoint is rolled
// back; a lost session or a transaction the server ended is gone for good.
bool PgDatabase::batch_alive() noexcept {
  if (batch_connection_ == nullptr || batch_connection_->broken) return false;
  const auto status = PQtransactionStatus(batch_connection_->conn);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

SqlStatement PgDatabase::prepare(const std::string& sql) {
  PgConnection& connection = current();
  // Preparing is a round trip anyway: a pending BEGIN goes first, with the check that the
  // session is alive (run_begin).
  if (connection.begin_pending && !connection.statements.contains(sql)) start_pending(connection);
  return SqlStatement(std::make_unique<PgStatement>(connection, prepared_on(connection, sql)));
}

void PgDatabase::start_pending(PgConnection& connection) {
  connection.begin_pending = false;
  // A read_statement whose statement this session has not prepared yet becomes a `read`: the
  // BEGIN checks that the session is alive, and its COMMIT ends it.
  connection.alone = false;
  if (connection.mode == TxMode::read_statement) connection.mode = TxMode::read;
  run_begin(connection, connection.mode);
}

void PgDatabase::exec(const std::string& sql) {
  PgConnection& connection = current();
  if (connection.begin_pending) start_pending(connection);
  std::string work;
  for (const std::string* ahead : take_savepoint_work(connection)) work += *ahead + "; ";
  const Result result = run(connection, work.empty() ? sql : work + sql);
  connection.changes = parse_count(PQcmdTuples(result.get()));
}

std::int64_t PgDatabase::changes() { return current().changes; }

}  // namespace callsight
