// The visit side of SqlDniStore: sessions, allocation, heartbeats and what reads them back.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "common/utf8.hpp"
#include "core/call_record.hpp"
#include "core/source.hpp"
#include "store/sql/sql_dni_store.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

// A new visitor or session id: 80 random bits after the time in milliseconds, so an id is
// never guessed or reused, and the ids of one moment sort together: the sessions' key index
// and the hand-outs' session index take each new id at their end instead of on a random page,
// one page fewer written to the WAL per index for most hand-outs (bench/README.md).
std::string new_id() { return time_ordered_hex_id(); }

std::string custom_json(const std::vector<std::pair<std::string, std::string>>& custom) {
  auto list = nlohmann::json::array();
  for (const auto& [name, value] : custom) list.push_back({name, value});
  return to_json_text(list);
}

std::vector<std::pair<std::string, std::string>> parse_custom(const std::string& text) {
  return parse_stored_json(text).get<std::vector<std::pair<std::string, std::string>>>();
}

// The session's latest hand-out in the pool, if the pool is the partner's and the number is
// still in it; `:session`, `:pool` and `:partner_id` bound. A fallback hand-out has no number
// to keep alive, and a number removed from the pool is no visitor's any more: kept alive, its
// page would go on showing a number whose calls are refused, and which another holder may
// take once its quarantine ends. `+ 0` keeps the pool's index out of the search for the
// session's latest hand-out: without statistics (a new table) PostgreSQL read the pool's hand-outs
// through it and compared each one's session, thousands of rows per heartbeat (perf: a bitmap
// scan and text compares, 1-3 ms of its CPU), where the session's index finds its one or two.
const std::string kSessionsLatestNumber =
    " id = (SELECT MAX(l.id) FROM dni_assignments l WHERE l.session_id = :session"
    " AND l.pool_source_id + 0 = :pool) AND EXISTS (SELECT 1 FROM dni_pool_numbers pn"
    " WHERE pn.id = dni_assignments.pool_number_id AND pn.removed_at IS NULL"
    " AND pn.released_at IS NULL)"
    " AND pool_source_id IN (SELECT id FROM sources WHERE id = :pool"
    " AND partner_id = :partner_id)";

// dni::hold_at's "leased" in SQL: before the end of the lease and before any release.
const std::string kStillLeased =
    " AND :now < last_seen_at + (SELECT lease_seconds FROM dni_pools WHERE source_id = :pool)"
    " AND (released_at IS NULL OR :now < released_at)";

// What read_assignment reads, from the assignments table under `alias`.
std::string assignment_columns(const std::string& alias) {
  std::string columns;
  for (const char* column : {"session_id", "assigned_at", "last_seen_at", "released_at",
                             "shown_as_fallback", "consent"}) {
    columns += (columns.empty() ? "" : ", ") + alias + "." + column;
  }
  return columns;
}

dni::Assignment read_assignment(const SqlStatement& row, int first) {
  return {.session_id = row.text(first),
          .assigned_at = row.time(first + 1),
          .last_seen_at = row.time(first + 2),
          .released_at = row.optional_time(first + 3),
          .shown_as_fallback = row.integer(first + 4) != 0,
          .consent = row.integer(first + 5) != 0};
}

}  // namespace

// The pool as a hand-out reads it, without a lock on its row: what keeps two hand-outs from
// giving one number to two sessions is the lock on the number's own row (free_number,
// FOR UPDATE SKIP LOCKED), so the hand-outs of one pool run side by side instead of taking turns
// through the commit of each (bench/README.md). A pool deleted or archived while a hand-out runs
// keeps its numbers through its quarantine, so that hand-out gives out nothing another holder
// could have; a change of its timing sets every number's free_at to 0 under the numbers' row
// locks, so it waits for the hand-outs in flight and the next ones read the new timing.
SqlDniStore::ServingPool SqlDniStore::serving_pool(Id partner_id, Id pool_id, TimePoint now) {
  static const std::string sql =
      "SELECT s.customer_id, d.lease_seconds, d.grace_seconds, d.cooldown_seconds,"
      " d.fallback_number, p.dni_number_cap, " +
      source_status_sql() +
      " FROM dni_pools d JOIN sources s ON s.id = d.source_id"
      " JOIN partners p ON p.id = s.partner_id"
      " WHERE d.source_id = :id AND s.partner_id = :partner_id";
  auto row = db_.prepare(sql);
  row.bind(":id", pool_id).bind(":partner_id", partner_id).bind(":now", now);
  if (!row.step()) throw NotFoundError("pool not found");
  // A pool that is not active (upcoming, deleted and quarantined, archived) hands out
  // nothing: once archived, its numbers may already be someone else's.
  if (row.text(6) != to_string(SourceStatus::active)) {
    throw ConflictError("pool_not_active", "pool_id", "the pool is not active");
  }
  ServingPool pool{.customer_id = row.int64(0),
                   .timing = {.lease = std::chrono::seconds(row.int64(1)),
                              .grace = std::chrono::seconds(row.int64(2)),
                              .cooldown = std::chrono::seconds(row.int64(3))},
                   .fallback_number = row.text(4),
                   .partner_number_cap = row.integer(5)};
  row.run();
  return pool;
}

// Counted under the partner's row lock (FOR UPDATE on PostgreSQL; SQLite has one writer): the
// hand-outs that may pass the cap take turns across all the partner's pools and nodes, each
// counting what the previous one committed, so the cap is never passed. Only partners with more
// pool numbers than their cap get here (pick_for_session), and only for a hand-out that would
// take a number.
std::size_t SqlDniStore::numbers_leased_by_partner(Id partner_id, TimePoint now) {
  db_.prepare("SELECT 1 FROM partners p WHERE p.id = :partner_id" +
              db_.dialect().lock_clause("p", false))
      .bind(":partner_id", partner_id)
      .run();
  auto row = db_.prepare(
      "SELECT COUNT(*) FROM dni_pool_numbers pn"
      " JOIN dni_assignments a ON a.id = pn.latest_assignment_id"
      " JOIN dni_pools d ON d.source_id = pn.pool_source_id"
      " JOIN sources s ON s.id = pn.pool_source_id"
      " WHERE s.partner_id = :partner_id AND pn.released_at IS NULL"
      " AND :now < a.last_seen_at + d.lease_seconds"
      " AND (a.released_at IS NULL OR :now < a.released_at)");
  row.bind(":partner_id", partner_id).bind(":now", now);
  row.step();
  return static_cast<std::size_t>(row.int64(0));
}

std::string SqlDniStore::ensure_visitor(const DniNumberRequest& request, Id customer_id,
                                        TimePoint now) {
  if (request.visitor_id) {
    auto known = db_.prepare("SELECT 1 FROM dni_visitors WHERE id = :id AND customer_id = :c");
    known.bind(":id", *request.visitor_id).bind(":c", customer_id);
    if (known.step()) return *request.visitor_id;
  }
  auto id = new_id();
  db_.prepare("INSERT INTO dni_visitors (id, customer_id, first_seen) VALUES (:id, :c, :now)")
      .bind(":id", id)
      .bind(":c", customer_id)
      .bind(":now", now)
      .run();
  return id;
}

std::string SqlDniStore::ensure_session(const DniNumberRequest& request, Id customer_id,
                                        const std::optional<std::string>& visitor_id,
                                        TimePoint now) {
  if (request.session_id) {
    // Only the customer's own session is continued; its visitor is set once consent comes.
    // A request that changes nothing (a reload within the second of the last sign of life,
    // times are seconds) writes nothing: on PostgreSQL it then neither waits for nor holds the
    // session's row lock through a commit, so the reloads of one session do not take turns.
    const std::string belongs =
        " WHERE id = :id AND pool_source_id IN (SELECT id FROM sources WHERE customer_id = :c)";
    db_.prepare(
           "UPDATE dni_sessions SET last_seen_at = :now, consent = :consent,"
           " visitor_id = COALESCE(visitor_id, :visitor)" +
           belongs +
           " AND (last_seen_at < :now OR consent <> :consent"
           " OR (visitor_id IS NULL AND CAST(:visitor AS TEXT) IS NOT NULL))")
        .bind(":now", now)
        .bind(":consent", request.consent ? 1 : 0)
        .bind(":visitor", visitor_id)
        .bind(":id", *request.session_id)
        .bind(":c", customer_id)
        .run();
    if (db_.changes() == 1) return *request.session_id;
    auto known = db_.prepare("SELECT 1 FROM dni_sessions" + belongs);
    known.bind(":id", *request.session_id).bind(":c", customer_id);
    if (known.step()) {
      known.run();
      return *request.session_id;
    }
  }
  auto id = new_id();
  const auto& v = request.visit;
  db_.prepare(
         "INSERT INTO dni_sessions (id, visitor_id, pool_source_id, landing_url, referrer,"
         " utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, gbraid, wbraid,"
         " fbclid, msclkid, ga_client_id, user_agent, ip_truncated, custom_parameters, consent,"
         " created_at, last_seen_at) VALUES (:id, :visitor, :pool, :landing, :referrer, :us, :um,"
         " :uc, :ut, :uo, :gclid, :gbraid, :wbraid, :fbclid, :msclkid, :ga, :ua, :ip, :custom,"
         " :consent, :now, :now)")
      .bind(":id", id)
      .bind(":visitor", visitor_id)
      .bind(":pool", request.pool_id)
      .bind(":landing", v.landing_url)
      .bind(":referrer", v.referrer)
      .bind(":us", v.query.utm.source)
      .bind(":um", v.query.utm.medium)
      .bind(":uc", v.query.utm.campaign)
      .bind(":ut", v.query.utm.term)
      .bind(":uo", v.query.utm.content)
      .bind(":gclid", v.query.click_ids.gclid)
      .bind(":gbraid", v.query.click_ids.gbraid)
      .bind(":wbraid", v.query.click_ids.wbraid)
      .bind(":fbclid", v.query.click_ids.fbclid)
      .bind(":msclkid", v.query.click_ids.msclkid)
      .bind(":ga", v.ga_client_id)
      .bind(":ua", request.user_agent)
      .bind(":ip", request.ip_truncated)
      .bind(":custom", custom_json(v.query.custom))
      .bind(":consent", request.consent ? 1 : 0)
      .bind(":now", now)
      .run();
  return id;
}

namespace {

// A pool number as the pick reads it, with its latest hand-out.
const std::string kPickRow = "SELECT pn.id, pn.number, pn.free_at, a.id, " +
                             assignment_columns("a") +
                             " FROM dni_pool_numbers pn"
                             " LEFT JOIN dni_assignments a ON a.id = pn.latest_assignment_id"
                             " WHERE pn.released_at IS NULL AND pn.removed_at IS NULL";

SqlDniStore::PickRow read_pick_row(const SqlStatement& row) {
  SqlDniStore::PickRow pick{
      .state = {.number_id = row.int64(0)}, .number = row.text(1), .stored_free_at = row.time(2)};
  if (!row.is_null(3)) pick.state.latest = read_assignment(row, 4);
  return pick;
}

// When the number is free by its latest hand-out; the epoch when it was never handed out.
TimePoint exact_free_at(const dni::PoolNumberState& state, const dni::PoolTiming& timing) {
  return state.latest ? dni::free_at(*state.latest, timing) : TimePoint{};
}

// The session's latest hand-out in the pool while its number is leased to it, as a heartbeat
// finds it; `:session`, `:pool`, `:partner_id` and `:now` bound.
const std::string kLeasedToSession = kSessionsLatestNumber + kStillLeased;

}  // namespace

// A reload while the session's number is leased keeps it, and is a sign of life as a heartbeat
// is: the stored free_at stays a lower bound. The lease is read first and written only when the
// hand-out was last seen in an earlier second (times are seconds), so the signs of life of one
// session's open tabs are one read each but once a second; a write that finds another one wrote
// the same second first has nothing left to do. A number that is no longer leased is not kept:
// free again, it is one of the pool's free numbers like any other, and front_of_free_numbers
// finds it in its turn. A heartbeat is this without the number. The statements end before the
// commit: on SQLite the next member of the group commit runs on the same connection, with the
// same cached statements, while this one waits for its batch.
std::optional<SqlDniStore::Kept> SqlDniStore::keep_leased_number(Id partner_id, Id pool_id,
                                                                 const std::string& session_id,
                                                                 TimePoint now) {
  Kept kept;
  TimePoint last_seen;
  {
    auto seen = db_.prepare("SELECT id, number, last_seen_at FROM dni_assignments WHERE" +
                            kLeasedToSession);
    seen.bind(":now", now)
        .bind(":session", session_id)
        .bind(":pool", pool_id)
        .bind(":partner_id", partner_id);
    if (!seen.step()) return std::nullopt;
    kept = {seen.int64(0), seen.text(1)};
    last_seen = seen.time(2);
    seen.run();
  }
  if (last_seen < now) {
    db_.prepare(
           "UPDATE dni_assignments SET last_seen_at = :now WHERE id = :id AND last_seen_at < :now")
        .bind(":now", now)
        .bind(":id", kept.assignment_id)
        .run();
  }
  return kept;
}

// The pool's free number free the longest, locked for this hand-out, by the index of stored
// free_at: a stored free_at is only a lower bound (a heartbeat or a reload lengthens a hold
// without touching it), so a number that reaches the front too early is corrected and the
// front read again; every number behind the one chosen is then free no sooner, so it is the
// one dni::pick_number would choose over the whole pool, reading a row or two of an index.
// On PostgreSQL the row is locked FOR UPDATE SKIP LOCKED: a number another hand-out is taking
// is passed over (it will not be free), and re-checked against its latest version when it
// changed since the statement's snapshot (a hand-out moves free_at past now in the same update
// that names its assignment).
std::optional<SqlDniStore::PickRow> SqlDniStore::free_number(Id pool_id,
                                                             const dni::PoolTiming& timing,
                                                             TimePoint now) {
  static const std::string kFront =
      kPickRow +
      " AND pn.pool_source_id = :pool AND pn.free_at <= :now ORDER BY pn.free_at, pn.id LIMIT 1";
  const auto sql = kFront + db_.dialect().lock_clause("pn", true);
  for (;;) {
    auto rows = db_.prepare(sql);
    rows.bind(":pool", pool_id).bind(":now", now);
    if (!rows.step()) return std::nullopt;
    auto pick = read_pick_row(rows);
    rows.run();
    const auto exact = exact_free_at(pick.state, timing);
    if (exact == pick.stored_free_at) return pick;
    store_free_at(pick.state.number_id, exact);
  }
}

void SqlDniStore::store_free_at(Id pool_number_id, TimePoint free_at) {
  db_.prepare("UPDATE dni_pool_numbers SET free_at = :free_at WHERE id = :id")
      .bind(":free_at", free_at)
      .bind(":id", pool_number_id)
      .run();
}

// A partner with no more pool numbers than its cap cannot pass it: counting what is leased,
// which reads every number of the partner, is needed only beyond that.
std::size_t SqlDniStore::partner_pool_numbers(Id partner_id) {
  auto row = db_.prepare(
      "SELECT COUNT(*) FROM dni_pool_numbers pn JOIN sources s ON s.id = pn.pool_source_id"
      " WHERE s.partner_id = :partner_id AND pn.released_at IS NULL AND pn.removed_at IS NULL");
  row.bind(":partner_id", partner_id);
  row.step();
  return static_cast<std::size_t>(row.int64(0));
}

SqlDniStore::Picked SqlDniStore::pick_for_session(const DniNumberRequest& request,
                                                  const ServingPool& pool,
                                                  const std::string& session_id, TimePoint now) {
  auto row = free_number(request.pool_id, pool.timing, now);
  std::vector<dni::PoolNumberState> states;
  if (row) states.push_back(row->state);
  auto pick = dni::pick_number(states, pool.timing, now, session_id, std::nullopt);
  if (pick.verdict == dni::Pick::assigned &&
      partner_pool_numbers(request.partner_id) >
          static_cast<std::size_t>(pool.partner_number_cap)) {
    pick = dni::apply_number_cap(pick, numbers_leased_by_partner(request.partner_id, now),
                                 pool.partner_number_cap);
  }
  if (pick.verdict != dni::Pick::assigned) return {pick, ""};
  return {pick, row->number};
}

Id SqlDniStore::write_assignment(const DniNumberRequest& request, const std::string& session_id,
                                 const dni::PoolTiming& timing, std::optional<Id> pool_number_id,
                                 const std::string& number, TimePoint now) {
  const Id id =
      db_.prepare(
             "INSERT INTO dni_assignments (pool_source_id, pool_number_id, number, session_id,"
             " assigned_at, last_seen_at, shown_as_fallback, consent) VALUES (:pool,"
             " :pool_number, :number, :session, :now, :now, :fallback, :consent) RETURNING id")
          .bind(":pool", request.pool_id)
          .bind(":pool_number", pool_number_id)
          .bind(":number", number)
          .bind(":session", session_id)
          .bind(":now", now)
          .bind(":fallback", pool_number_id ? 0 : 1)
          .bind(":consent", request.consent ? 1 : 0)
          .returning_id();
  if (pool_number_id) {
    const dni::Assignment handed_out{.assigned_at = now, .last_seen_at = now};
    db_.prepare(
           "UPDATE dni_pool_numbers SET latest_assignment_id = :a, free_at = :free_at"
           " WHERE id = :id")
        .bind(":a", id)
        .bind(":free_at", dni::free_at(handed_out, timing))
        .bind(":id", *pool_number_id)
        .run();
  }
  return id;
}

// The hand-out is one write transaction handed to the database as a whole: on SQLite the
// writer holding the group commit's connection runs it, so the request waits once, for its
// batch's commit (group_commit.hpp).
DniNumberAnswer SqlDniStore::request_number(const DniNumberRequest& request) {
  DniNumberAnswer answer;
  db_.write_transaction(Mode::concurrent_write, [&] { answer = hand_out(request); });
  return answer;
}

void SqlDniStore::request_number_then(const DniNumberRequest& request,
                                      Later<DniNumberAnswer> answered) {
  write_transaction_then<DniNumberAnswer>(
      db_, Mode::concurrent_write, [this, request] { return hand_out(request); },
      std::move(answered));
}

DniNumberAnswer SqlDniStore::hand_out(const DniNumberRequest& request) {
  // One instant for the whole hand-out: the pick and the rows it writes agree.
  const auto now = clock_.now();
  const auto pool = serving_pool(request.partner_id, request.pool_id, now);
  DniNumberAnswer answer;
  if (request.consent) answer.visitor_id = ensure_visitor(request, pool.customer_id, now);
  answer.session_id = ensure_session(request, pool.customer_id, answer.visitor_id, now);
  // A session made by this request holds no number yet (a new visitor's request reads one
  // statement less).
  const bool continued = request.session_id && answer.session_id == *request.session_id;
  if (const auto kept = continued ? keep_leased_number(request.partner_id, request.pool_id,
                                                       answer.session_id, now)
                                  : std::nullopt) {
    answer.verdict = dni::Pick::kept;
    answer.number = kept->number;
    answer.assignment_id = kept->assignment_id;
    return answer;
  }
  const auto [pick, number] = pick_for_session(request, pool, answer.session_id, now);
  answer.verdict = pick.verdict;
  if (pick.verdict == dni::Pick::assigned) {
    answer.number = number;
    answer.assignment_id = write_assignment(request, answer.session_id, pool.timing, pick.number_id,
                                            answer.number, now);
  } else {
    answer.number = pool.fallback_number;
    answer.assignment_id = write_assignment(request, answer.session_id, pool.timing, std::nullopt,
                                            pool.fallback_number, now);
  }
  return answer;
}

bool SqlDniStore::heartbeat(Id partner_id, Id pool_id, const std::string& session_id) {
  // One conditional statement (dni::accept_heartbeat's rule), so it needs no pool lock: it can
  // only lengthen a lease that is still running, which no allocation would hand out anyway. A
  // heartbeat within the second of the last sign of life (times are seconds) has nothing to
  // write: it only reads whether the lease runs, so on PostgreSQL the heartbeats of one session
  // (its open tabs) neither wait for nor hold its hand-out's row lock through a commit.
  // Handed over whole, as a hand-out is (request_number).
  bool accepted = false;
  db_.write_transaction(Mode::concurrent_write, [&] {
    accepted = keep_leased_number(partner_id, pool_id, session_id, clock_.now()).has_value();
  });
  return accepted;
}

void SqlDniStore::heartbeat_then(Id partner_id, Id pool_id, const std::string& session_id,
                                 Later<bool> answered) {
  write_transaction_then<bool>(
      db_, Mode::concurrent_write,
      [this, partner_id, pool_id, session_id] {
        return keep_leased_number(partner_id, pool_id, session_id, clock_.now()).has_value();
      },
      std::move(answered));
}

bool SqlDniStore::release(Id partner_id, Id pool_id, const std::string& session_id) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  std::optional<Id> released;
  {  // ended before the commit (keep_leased_number says why)
    auto row = db_.prepare("UPDATE dni_assignments SET released_at = :now WHERE" +
                           kLeasedToSession + " RETURNING pool_number_id");
    row.bind(":now", clock_.now())
        .bind(":session", session_id)
        .bind(":pool", pool_id)
        .bind(":partner_id", partner_id);
    if (row.step()) released = row.int64(0);
    row.run();
  }
  // The hold now ends sooner than the stored free_at says: 0 is a lower bound again.
  if (released) store_free_at(*released, TimePoint{});
  tx.commit();
  return released.has_value();
}

std::optional<DniSession> find_session_row(SqlDatabase& db, Id partner_id,
                                           const std::string& session_id) {
  auto row = db.prepare(
      "SELECT ss.id, ss.visitor_id, ss.pool_source_id, ss.landing_url, ss.referrer,"
      " ss.utm_source, ss.utm_medium, ss.utm_campaign, ss.utm_term, ss.utm_content, ss.gclid,"
      " ss.gbraid, ss.wbraid, ss.fbclid, ss.msclkid, ss.ga_client_id, ss.user_agent,"
      " ss.ip_truncated, ss.custom_parameters, ss.consent, ss.created_at, ss.last_seen_at"
      " FROM dni_sessions ss JOIN sources s ON s.id = ss.pool_source_id"
      " WHERE ss.id = :id AND s.partner_id = :partner_id");
  row.bind(":id", session_id).bind(":partner_id", partner_id);
  if (!row.step()) return std::nullopt;
  DniSession session{
      .id = row.text(0),
      .visitor_id = row.optional_text(1),
      .pool_id = row.int64(2),
      .landing_url = row.text(3),
      .referrer = row.text(4),
      .utm = {row.text(5), row.text(6), row.text(7), row.text(8), row.text(9)},
      .click_ids = {row.text(10), row.text(11), row.text(12), row.text(13), row.text(14)},
      .ga_client_id = row.optional_text(15),
      .user_agent = row.text(16),
      .ip_truncated = row.text(17),
      .custom_parameters = parse_custom(row.text(18)),
      .consent = row.integer(19) != 0,
      .created_at = row.time(20),
      .last_seen_at = row.time(21)};
  row.run();
  return session;
}

std::optional<DniSession> SqlDniStore::find_session(Id partner_id, const std::string& session_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_session_row(db_, partner_id, session_id);
}

std::optional<DniNumberHistory> read_number_history(SqlDatabase& db, const std::string& number,
                                                    TimePoint at) {
  // The pool of the latest hand-out by then; pick_number keeps one number's hand-outs from
  // overlapping, so a few before the call are all that can explain it.
  auto pool = db.prepare(
      "SELECT a.pool_source_id, s.partner_id, s.customer_id, d.lease_seconds, d.grace_seconds,"
      " d.cooldown_seconds FROM dni_assignments a JOIN sources s ON s.id = a.pool_source_id"
      " JOIN dni_pools d ON d.source_id = a.pool_source_id WHERE a.number = :number"
      " AND a.assigned_at <= :at ORDER BY a.assigned_at DESC, a.id DESC LIMIT 1");
  pool.bind(":number", number).bind(":at", at);
  if (!pool.step()) return std::nullopt;
  DniNumberHistory history{.pool_id = pool.int64(0),
                           .partner_id = pool.int64(1),
                           .customer_id = pool.int64(2),
                           .timing = {.lease = std::chrono::seconds(pool.int64(3)),
                                      .grace = std::chrono::seconds(pool.int64(4)),
                                      .cooldown = std::chrono::seconds(pool.int64(5))}};
  pool.run();
  auto rows = db.prepare("SELECT " + assignment_columns("a") +
                         " FROM dni_assignments a WHERE number = :number AND pool_source_id = :pool"
                         " AND assigned_at <= :at ORDER BY assigned_at DESC, id DESC LIMIT 8");
  rows.bind(":number", number).bind(":pool", history.pool_id).bind(":at", at);
  while (rows.step()) history.assignments.push_back(read_assignment(rows, 0));
  return history;
}

std::optional<DniNumberHistory> SqlDniStore::number_history(const std::string& number,
                                                            TimePoint at) {
  SqlTransaction tx(db_, Mode::read);
  return read_number_history(db_, number, at);
}

bool SqlDniStore::remember_signature(Id partner_id, const std::string& signature,
                                     TimePoint expires_at) {
  // The primary key decides between nodes: a second insert of the same signature waits for
  // the first to commit and then inserts nothing.
  SqlTransaction tx(db_, Mode::concurrent_write);
  db_.prepare("DELETE FROM dni_seen_signatures WHERE expires_at <= :now")
      .bind(":now", clock_.now())
      .run();
  db_.prepare(
         "INSERT INTO dni_seen_signatures (partner_id, signature, expires_at) VALUES"
         " (:partner_id, :signature, :expires_at) ON CONFLICT (partner_id, signature) DO NOTHING")
      .bind(":partner_id", partner_id)
      .bind(":signature", signature)
      .bind(":expires_at", expires_at)
      .run();
  const bool first = db_.changes() == 1;
  tx.commit();
  return first;
}

namespace {

constexpr std::string_view kErasedVisit = "the visit's data was erased on request";

// A stored call event's payload with the visit of its call erased, as it would be rendered
// from the erased record; keys the payload does not carry are left out.
std::string erase_visit_in_payload(const std::string& payload, const std::string& reason) {
  auto json = parse_stored_json(payload);
  const CallAttribution erased{.reason = reason, .explanation = std::string(kErasedVisit)};
  for (const auto& [name, value] : attribution_fields(erased)) {
    const std::string key(name);
    if (json.contains(key)) json[key] = value ? nlohmann::json(*value) : nlohmann::json();
  }
  return to_json_text(json);
}

}  // namespace

SqlDniStore::Erased SqlDniStore::erase_visit_data(Id partner_id,
                                                  const std::optional<std::string>& visitor_id,
                                                  const std::optional<std::string>& session_id) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  std::vector<std::string> sessions;
  {
    auto rows = db_.prepare(
        "SELECT s.id FROM dni_sessions s JOIN sources p ON p.id = s.pool_source_id"
        " WHERE p.partner_id = :partner_id AND (s.visitor_id = :visitor OR s.id = :session)");
    rows.bind(":partner_id", partner_id).bind(":visitor", visitor_id).bind(":session", session_id);
    while (rows.step()) sessions.push_back(rows.text(0));
  }
  if (sessions.empty()) throw NotFoundError("no such visitor or session");
  Erased erased;
  for (const auto& id : sessions) {
    db_.prepare(
           "UPDATE dni_sessions SET visitor_id = NULL, landing_url = '', referrer = '',"
           " utm_source = '', utm_medium = '', utm_campaign = '', utm_term = '', utm_content = '',"
           " gclid = '', gbraid = '', wbraid = '', fbclid = '', msclkid = '', ga_client_id = NULL,"
           " user_agent = '', ip_truncated = '', custom_parameters = '[]' WHERE id = :id")
        .bind(":id", id)
        .run();
    std::vector<std::pair<Id, std::string>> calls;  // cdr id, attribution reason
    {
      auto rows = db_.prepare(
          "SELECT id, attribution FROM cdrs WHERE partner_id = :partner_id"
          " AND dni_session_id = :session");
      rows.bind(":partner_id", partner_id).bind(":session", id);
      while (rows.step()) calls.emplace_back(rows.int64(0), rows.text(1));
    }
    for (const auto& [cdr_id, reason] : calls) {
      db_.prepare(
             "UPDATE cdrs SET dni_session_id = NULL, visit = NULL, attribution_text = :text"
             " WHERE id = :id")
          .bind(":text", std::string(kErasedVisit))
          .bind(":id", cdr_id)
          .run();
      // A structured binding is captured by an init-capture: clang refuses it otherwise.
      rewrite_call_events(db_, cdr_id, [&reason = reason](const std::string& payload) {
        return erase_visit_in_payload(payload, reason);
      });
      ++erased.calls;
    }
    ++erased.sessions;
  }
  if (visitor_id) {
    db_.prepare(
           "DELETE FROM dni_visitors WHERE id = :visitor AND customer_id IN"
           " (SELECT id FROM customers WHERE partner_id = :partner_id)")
        .bind(":visitor", *visitor_id)
        .bind(":partner_id", partner_id)
        .run();
  }
  tx.commit();
  return erased;
}

std::size_t SqlDniStore::purge_expired_visits(const RowFailureHandler& on_failure) {
  std::vector<std::pair<Id, int>> partners;  // id, retention days
  TimePoint now;
  {
    SqlTransaction tx(db_, Mode::read);
    now = clock_.now();
    auto rows = db_.prepare("SELECT id, dni_retention_days FROM partners ORDER BY id");
    while (rows.step()) partners.emplace_back(rows.int64(0), rows.integer(1));
  }
  std::size_t purged = 0;
  for (const auto& [partner_id, retention_days] : partners) {
    try {
      purged += purge_partner_visits(partner_id, now - std::chrono::days(retention_days));
    } catch (const std::exception& e) {
      if (!on_failure) throw;
      on_failure(partner_id, e);
    }
  }
  return purged;
}

// The hand-outs go with their sessions (ON DELETE CASCADE); a pool number whose latest
// hand-out goes reads as never handed out, which it may: its hold ended days before.
// The sessions are found by the pool's index on created_at (migration v25): a session is
// created no later than it is last seen, so the created_at bound only narrows the search.
std::size_t SqlDniStore::purge_partner_visits(Id partner_id, TimePoint cutoff) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  db_.prepare(
         "UPDATE dni_pool_numbers SET latest_assignment_id = NULL, free_at = 0"
         " WHERE latest_assignment_id IN"
         " (SELECT a.id FROM dni_assignments a JOIN dni_sessions s ON s.id = a.session_id"
         " WHERE s.created_at < :cutoff AND s.last_seen_at < :cutoff AND s.pool_source_id IN"
         " (SELECT id FROM sources WHERE partner_id = :partner_id))")
      .bind(":cutoff", cutoff)
      .bind(":partner_id", partner_id)
      .run();
  db_.prepare(
         "DELETE FROM dni_sessions WHERE created_at < :cutoff AND last_seen_at < :cutoff"
         " AND pool_source_id IN"
         " (SELECT id FROM sources WHERE partner_id = :partner_id)")
      .bind(":cutoff", cutoff)
      .bind(":partner_id", partner_id)
      .run();
  const auto sessions = static_cast<std::size_t>(db_.changes());
  db_.prepare(
         "DELETE FROM dni_visitors WHERE first_seen < :cutoff AND customer_id IN"
         " (SELECT id FROM customers WHERE partner_id = :partner_id) AND NOT EXISTS"
         " (SELECT 1 FROM dni_sessions s WHERE s.visitor_id = dni_visitors.id)")
      .bind(":cutoff", cutoff)
      .bind(":partner_id", partner_id)
      .run();
  tx.commit();
  return sessions;
}

DniPoolUsage SqlDniStore::pool_usage(Id partner_id, Id pool_id, TimePoint from, TimePoint to) {
  SqlTransaction tx(db_, Mode::read);
  const auto settings = settings_of(partner_id, pool_id);
  if (!settings) throw NotFoundError("pool not found");
  DniPoolUsage usage;
  {
    auto sessions = db_.prepare(
        "SELECT COUNT(*) FROM dni_sessions WHERE pool_source_id = :pool"
        " AND created_at >= :from AND created_at < :to");
    sessions.bind(":pool", pool_id).bind(":from", from).bind(":to", to);
    sessions.step();
    usage.sessions = static_cast<std::size_t>(sessions.int64(0));
  }
  {
    auto numbers = db_.prepare(
        "SELECT COUNT(*) FROM dni_pool_numbers WHERE pool_source_id = :pool"
        " AND released_at IS NULL AND removed_at IS NULL");
    numbers.bind(":pool", pool_id);
    numbers.step();
    usage.numbers = static_cast<std::size_t>(numbers.int64(0));
  }
  {
    // Attribution reasons (core/dni/attribution): a visit held the number, or was in grace.
    auto calls = db_.prepare(
        "SELECT COALESCE(SUM(CASE WHEN attribution IN ('matched', 'within_grace') THEN 1 ELSE 0"
        " END), 0), COUNT(*) FROM cdrs WHERE source_id = :pool AND direction = :inbound"
        " AND start >= :from AND start < :to");
    calls.bind(":pool", pool_id).bind(":from", from).bind(":to", to);
    calls.bind(":inbound", to_string(CallDirection::inbound));
    calls.step();
    usage.calls_matched = static_cast<std::size_t>(calls.int64(0));
    usage.calls_unmatched = static_cast<std::size_t>(calls.int64(1)) - usage.calls_matched;
  }
  auto rows = db_.prepare("SELECT " + assignment_columns("a") +
                          " FROM dni_assignments a WHERE pool_source_id = :pool"
                          " AND assigned_at >= :from AND assigned_at < :to");
  rows.bind(":pool", pool_id).bind(":from", from).bind(":to", to);
  while (rows.step()) {
    const auto assignment = read_assignment(rows, 0);
    if (assignment.shown_as_fallback) {
      ++usage.exhaustion_events;
    } else {
      usage.held.push_back({assignment.assigned_at, dni::free_at(assignment, settings->timing)});
    }
  }
  return usage;
}

}  // namespace callsight
