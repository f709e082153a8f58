#include "store/sql/sql_call_record_store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "common/utf8.hpp"
#include "core/dni/attribution.hpp"
#include "core/webhook_payload.hpp"
#include "store/sql/sql_dni_store.hpp"
#include "store/sql/sql_fragments.hpp"
#include "store/sql/sql_mail_outbox.hpp"
#include "store/sql/sql_outbox.hpp"

namespace callsight {

namespace {

// The read_call_record order.
const std::string kColumns =
    "id, partner_id, customer_id, source_id, campaign_id, callback_id, direction, "
    "switch_call_id, caller, tracking_number, answering_number, action, reject_sip_status, "
    "reject_reason, quarantined, recorded, voicemail_on_busy, voicemail_on_no_answer, start, "
    "ringing_at, answered_at, voicemail_at, ended_at, failure_sip_status, hangup_by, "
    "hangup_reason, end_unknown, attribution, attribution_text, dni_session_id, visit, "
    "recording_id";

// kColumns with the attribution's four read as NULL, so every other column keeps its place.
const std::string kColumnsWithoutAttribution = [] {
  const std::string attribution = "attribution, attribution_text, dni_session_id, visit";
  auto columns = kColumns;
  columns.replace(columns.find(attribution), attribution.size(), "NULL, NULL, NULL, NULL");
  return columns;
}();

// The visit's facts of an attribution, as the `visit` column keeps them.
std::string visit_json(const CallAttribution& a) {
  return to_json_text(
      nlohmann::json{{"landing_url", a.landing_url},
                     {"referrer", a.referrer},
                     {"utm_source", a.utm.source},
                     {"utm_medium", a.utm.medium},
                     {"utm_campaign", a.utm.campaign},
                     {"utm_term", a.utm.term},
                     {"utm_content", a.utm.content},
                     {"gclid", a.click_ids.gclid},
                     {"gbraid", a.click_ids.gbraid},
                     {"wbraid", a.click_ids.wbraid},
                     {"fbclid", a.click_ids.fbclid},
                     {"msclkid", a.click_ids.msclkid},
                     {"ga_client_id",
                      a.ga_client_id ? nlohmann::json(*a.ga_client_id) : nlohmann::json(nullptr)}});
}

void read_visit_json(const std::string& text, CallAttribution& a) {
  const auto visit = parse_stored_json(text);
  const auto field = [&](const char* name) { return visit.at(name).get<std::string>(); };
  a.landing_url = field("landing_url");
  a.referrer = field("referrer");
  a.utm = {field("utm_source"), field("utm_medium"), field("utm_campaign"), field("utm_term"),
           field("utm_content")};
  a.click_ids = {field("gclid"), field("gbraid"), field("wbraid"), field("fbclid"),
                 field("msclkid")};
  if (!visit.at("ga_client_id").is_null()) a.ga_client_id = field("ga_client_id");
}

// Text columns are assigned from the row without a std::string of their own, and a record is
// filled where it will stay (the listing's vector) rather than built and moved there: moving a
// CallRecord and its attribution (about 25 strings) and the strings made per column were a
// fifth of a 1000-row CDR listing in perf (bench/README.md, "CDR pages, 2026-12-06").
void assign_text(std::string& out, const SqlStatement& row, int column) {
  out.assign(row.text_view(column));
}

void assign_optional_text(std::optional<std::string>& out, const SqlStatement& row, int column) {
  if (row.is_null(column)) {
    out.reset();
  } else {
    out.emplace(row.text_view(column));
  }
}

// Into a record fresh from CallRecord{} (its attribution absent).
void read_attribution_into(const SqlStatement& row, int first,
                           std::optional<CallAttribution>& out) {
  if (row.is_null(first)) return;
  auto& a = out.emplace();
  assign_text(a.reason, row, first);
  assign_text(a.explanation, row, first + 1);
  assign_optional_text(a.session_id, row, first + 2);
  if (!row.is_null(first + 3)) read_visit_json(row.text(first + 3), a);
}

// Into a record fresh from CallRecord{}.
void read_call_record_into(const SqlStatement& row, CallRecord& r) {
  r.id = row.int64(0);
  r.partner_id = row.int64(1);
  r.customer_id = row.int64(2);
  r.source_id = row.optional_int64(3);
  r.campaign_id = row.optional_int64(4);
  r.callback_id = row.optional_int64(5);
  r.direction = parse_call_direction(row.text_view(6)).value();
  assign_text(r.switch_call_id, row, 7);
  assign_text(r.caller, row, 8);
  assign_text(r.tracking_number, row, 9);
  assign_text(r.answering_number, row, 10);
  r.action = parse_route_action(row.text_view(11)).value();
  if (const auto status = row.optional_int64(12)) r.reject_sip_status = static_cast<int>(*status);
  assign_text(r.reject_reason, row, 13);
  r.quarantined = row.integer(14) != 0;
  r.recorded = row.integer(15) != 0;
  r.voicemail_on_busy = row.integer(16) != 0;
  r.voicemail_on_no_answer = row.integer(17) != 0;
  r.start = row.time(18);
  r.ringing_at = row.optional_time(19);
  r.answered_at = row.optional_time(20);
  r.voicemail_at = row.optional_time(21);
  r.ended_at = row.optional_time(22);
  if (const auto status = row.optional_int64(23)) r.failure_sip_status = static_cast<int>(*status);
  assign_text(r.hangup_by, row, 24);
  assign_text(r.hangup_reason, row, 25);
  r.end_unknown = row.integer(26) != 0;
  read_attribution_into(row, 27, r.attribution);
  assign_optional_text(r.recording_id, row, 31);
}

CallRecord read_call_record(const SqlStatement& row) {
  CallRecord r;
  read_call_record_into(row, r);
  return r;
}

int flag(bool value) { return value ? 1 : 0; }

// The fields call events and the sweep change (see apply_call_event, close_as_unknown).
void bind_event_facts(SqlStatement& stmt, const CallRecord& r) {
  stmt.bind(":answering_number", r.answering_number)
      .bind(":ringing_at", r.ringing_at)
      .bind(":answered_at", r.answered_at)
      .bind(":voicemail_at", r.voicemail_at)
      .bind(":ended_at", r.ended_at)
      .bind(":failure_sip_status", r.failure_sip_status)
      .bind(":hangup_by", r.hangup_by)
      .bind(":hangup_reason", r.hangup_reason)
      .bind(":end_unknown", flag(r.end_unknown));
}

void bind_attribution(SqlStatement& stmt, const std::optional<CallAttribution>& a) {
  if (!a) {
    stmt.bind(":attribution", std::nullopt)
        .bind(":attribution_text", std::nullopt)
        .bind(":dni_session_id", std::nullopt)
        .bind(":visit", std::nullopt);
    return;
  }
  stmt.bind(":attribution", a->reason)
      .bind(":attribution_text", a->explanation)
      .bind(":dni_session_id", a->session_id);
  if (a->session_id) {
    stmt.bind(":visit", visit_json(*a));
  } else {
    stmt.bind(":visit", std::nullopt);
  }
}

// The WHERE clause for a filter, from constant fragments only; values are bound by
// bind_filter. Absent filters are left out rather than written "(:x IS NULL OR ...)", so
// the planner can use the customer or source index.
// Only the bounds given are in the statement: an unbounded "start BETWEEN :from AND :to" is
// estimated by PostgreSQL's generic plan to hold 0.5% of the rows, which made a page's
// generic plan cost more than its custom one, so every execution was planned afresh.
// call_status() in SQL, over the stored facts it reads, in its order of precedence.
const std::string& call_status_sql() {
  static const std::string sql = [] {
    const auto listed = [](std::span<const int> codes) {
      std::string list;
      for (const int code : codes) list += (list.empty() ? "" : ", ") + std::to_string(code);
      return list;
    };
    return "(CASE WHEN action = 'reject' THEN 'rejected'"
           " WHEN end_unknown <> 0 THEN 'unknown'"
           " WHEN action = 'voicemail' OR voicemail_at IS NOT NULL THEN 'voicemail'"
           " WHEN answered_at IS NOT NULL THEN 'answered'"
           " WHEN ended_at IS NULL THEN 'in_progress'"
           " WHEN failure_sip_status IN (" +
           listed(busy_sip_statuses()) +
           ") THEN (CASE WHEN voicemail_on_busy <> 0 THEN 'voicemail' ELSE 'busy' END)"
           " WHEN failure_sip_status IS NULL OR failure_sip_status IN (" +
           listed(no_answer_sip_statuses()) +
           ") THEN (CASE WHEN voicemail_on_no_answer <> 0 THEN 'voicemail' ELSE 'no_answer' END)"
           " ELSE 'failed' END)";
  }();
  return sql;
}

std::string where_clause(const CallRecordFilter& filter) {
  std::string where = " FROM cdrs WHERE partner_id = :partner_id AND direction = :direction";
  if (filter.from) where += " AND start >= :from";
  if (filter.to) where += " AND start <= :to";
  if (filter.customer_id) where += " AND customer_id = :customer_id";
  if (filter.source_id) where += " AND source_id = :source_id";
  if (filter.cdr_id) where += " AND id = :cdr_id";
  if (filter.caller) where += " AND caller = :caller";
  if (!filter.statuses.empty()) {
    where += " AND " + call_status_sql() + " IN (";
    for (std::size_t i = 0; i < filter.statuses.size(); ++i) {
      where += (i > 0 ? ", :status_" : ":status_") + std::to_string(i);
    }
    where += ')';
  }
  return where;
}

void bind_filter(SqlStatement& stmt, Id partner_id, const CallRecordFilter& filter) {
  stmt.bind(":partner_id", partner_id).bind(":direction", to_string(filter.direction));
  if (filter.from) stmt.bind(":from", filter.from->time_since_epoch().count());
  if (filter.to) stmt.bind(":to", filter.to->time_since_epoch().count());
  if (filter.customer_id) stmt.bind(":customer_id", *filter.customer_id);
  if (filter.source_id) stmt.bind(":source_id", *filter.source_id);
  if (filter.cdr_id) stmt.bind(":cdr_id", *filter.cdr_id);
  if (filter.caller) stmt.bind(":caller", *filter.caller);
  for (std::size_t i = 0; i < filter.statuses.size(); ++i) {
    stmt.bind((":status_" + std::to_string(i)).c_str(), to_string(filter.statuses[i]));
  }
}

// The events one change of a call's facts raises, in the order they happened.
std::vector<std::string_view> call_event_types(const CallRecord& before, const CallRecord& after) {
  std::vector<std::string_view> types;
  if (!before.answered_at && after.answered_at) types.push_back(kCallAnswered);
  if (!before.ended_at && after.ended_at) types.push_back(kCallCompleted);
  if (types.empty() && after != before) types.push_back(kCallUpdated);
  return types;
}

// A stored call event's payload as it would be rendered from the record with its caller
// erased.
std::string erase_caller_in_payload(const std::string& payload) {
  auto json = parse_stored_json(payload);
  if (json.contains("anum")) json["anum"] = mask_caller("");
  return to_json_text(json);
}

// The statements' partner scope for tables that hang off a customer.
const std::string kPartnersCustomers =
    " AND customer_id IN (SELECT id FROM customers WHERE partner_id = :partner_id)";

// cdr_counts has this many rows per partner and direction (migration v24: concurrent inserts
// on PostgreSQL would otherwise queue behind one row's lock); a record counts in the slot of
// its id modulo this.
constexpr std::int64_t kCountSlots = 8;

struct CdrCounts {
  std::int64_t calls = 0;
  std::int64_t changes = 0;  // rises with every write that changes what a listing selects
};

CdrCounts read_cdr_counts(SqlDatabase& db, Id partner_id, CallDirection direction) {
  auto stmt = db.prepare(
      "SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT), CAST(COALESCE(SUM(changes), 0) AS BIGINT)"
      " FROM cdr_counts WHERE partner_id = :partner_id AND direction = :direction");
  stmt.bind(":partner_id", partner_id).bind(":direction", to_string(direction));
  stmt.step();
  return {stmt.int64(0), stmt.int64(1)};
}

void count_cdr_added(SqlDatabase& db, const CallRecord& record) {
  db.prepare(
        "INSERT INTO cdr_counts (partner_id, direction, slot, calls, changes)"
        " VALUES (:partner_id, :direction, :slot, 1, 1) ON CONFLICT (partner_id, direction, slot)"
        " DO UPDATE SET calls = cdr_counts.calls + 1, changes = cdr_counts.changes + 1")
      .bind(":partner_id", record.partner_id)
      .bind(":direction", to_string(record.direction))
      .bind(":slot", record.id % kCountSlots)
      .run();
}

// Whether the filter selects fewer than all of the partner's records in its direction.
bool narrows(const CallRecordFilter& filter) {
  return filter.from || filter.to || filter.customer_id || filter.source_id || filter.cdr_id ||
         filter.caller || !filter.statuses.empty();
}

}  // namespace

void count_customers_cdrs_removed(SqlDatabase& db, Id partner_id, Id customer_id) {
  db.prepare(
        "UPDATE cdr_counts SET calls = calls - (SELECT COUNT(*) FROM cdrs c"
        " WHERE c.customer_id = :customer_id AND c.direction = cdr_counts.direction"
        " AND c.id % 8 = cdr_counts.slot), changes = changes + 1 WHERE partner_id = :partner_id")
      .bind(":customer_id", customer_id)
      .bind(":partner_id", partner_id)
      .run();
}

void count_cdrs_changed(SqlDatabase& db, Id partner_id) {
  db.prepare("UPDATE cdr_counts SET changes = changes + 1 WHERE partner_id = :partner_id")
      .bind(":partner_id", partner_id)
      .run();
}

void recount_cdrs(SqlDatabase& db) {
  // `changes` stays as imported: the database was empty, so no node derived anything from it.
  db.exec("UPDATE cdr_counts SET calls = 0");
  db.exec(
      "INSERT INTO cdr_counts (partner_id, direction, slot, calls, changes)"
      " SELECT partner_id, direction, id % 8, COUNT(*), 1 FROM cdrs WHERE 1 = 1"
      " GROUP BY partner_id, direction, id % 8"
      " ON CONFLICT (partner_id, direction, slot) DO UPDATE SET calls = excluded.calls");
}

namespace {

// The call whose `column` is the key, its row locked when asked.
template <class Key>
std::optional<CallRecord> find_call_by(SqlDatabase& db, const char* column, const Key& key,
                                       bool lock_row) {
  auto stmt = db.prepare("SELECT " + kColumns + " FROM cdrs WHERE " + column + " = :key" +
                         (lock_row ? db.dialect().lock_clause("cdrs", false) : ""));
  stmt.bind(":key", key);
  if (!stmt.step()) return std::nullopt;
  return read_call_record(stmt);
}

}  // namespace

std::optional<CallRecord> find_call_record(SqlDatabase& db, Id cdr_id, bool lock_row) {
  return find_call_by(db, "id", cdr_id, lock_row);
}

std::optional<CallRecord> find_call_record(SqlDatabase& db, std::string_view switch_call_id,
                                           bool lock_row) {
  return find_call_by(db, "switch_call_id", switch_call_id, lock_row);
}

std::optional<CallRecord> SqlCallRecordStore::find_by_switch_id_locked(
    std::string_view switch_call_id, bool lock_row) {
  return find_call_record(db_, switch_call_id, lock_row);
}

void SqlCallRecordStore::write_event_facts(const CallRecord& record) {
  auto stmt = db_.prepare(
      "UPDATE cdrs SET answering_number = :answering_number, ringing_at = :ringing_at,"
      " answered_at = :answered_at, voicemail_at = :voicemail_at, ended_at = :ended_at,"
      " failure_sip_status = :failure_sip_status, hangup_by = :hangup_by,"
      " hangup_reason = :hangup_reason, end_unknown = :end_unknown WHERE id = :id");
  bind_event_facts(stmt, record);
  stmt.bind(":id", record.id).run();
}

// A static source's number may still have been shown to visitors as a pool's fallback; a
// call to it names no visit either way, and says which. The history of another customer's
// pool that held the number before says nothing about this call.
CallAttribution SqlCallRecordStore::attribute(const CallRecord& record) {
  auto history = read_number_history(db_, record.tracking_number, record.start);
  if (history && history->customer_id != record.customer_id) history.reset();
  const auto timing = history ? history->timing : dni::PoolTiming{};
  auto verdict = dni::attribute_call(
      history ? history->assignments : std::vector<dni::Assignment>{}, timing, record.start);
  if (!is_pool(*record.source_id) && verdict.no_visit != dni::NoVisit::shown_as_fallback) {
    verdict = dni::static_source_call();
  }
  CallAttribution attribution{.reason = std::string(dni::reason_name(verdict)),
                              .explanation = dni::explain(verdict, timing, record.start)};
  if (!verdict.matched) return attribution;
  const auto session = find_session_row(db_, record.partner_id, verdict.matched->session_id);
  if (!session) return attribution;  // erased meanwhile: the reason stays, the visit is gone
  attribution.session_id = session->id;
  attribution.landing_url = session->landing_url;
  attribution.referrer = session->referrer;
  attribution.utm = session->utm;
  attribution.click_ids = session->click_ids;
  attribution.ga_client_id = session->ga_client_id;
  return attribution;
}

bool SqlCallRecordStore::is_pool(Id source_id) {
  auto row = db_.prepare("SELECT 1 FROM sources WHERE id = :id AND number_kind = 'dynamic'");
  row.bind(":id", source_id);
  const bool pool = row.step();
  row.run();
  return pool;
}

CallRecord SqlCallRecordStore::record_call(const CallRecord& record) {
  return std::move(record_calls(std::span(&record, 1)).front().record);
}

std::vector<RecordedCall> SqlCallRecordStore::record_calls(std::span<const CallRecord> records) {
  std::vector<RecordedCall> out(records.size());
  if (records.empty()) return out;
  // Rows are inserted in call id order and counted last in count-row order, so two nodes
  // given batches that name the same calls (an edge's retried delivery) lock in one order
  // and cannot deadlock; the count rows' locks are held only for the commit.
  std::vector<std::size_t> order(records.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return records[a].switch_call_id < records[b].switch_call_id;
  });
  SqlTransaction tx(db_, Mode::concurrent_write);
  for (const auto i : order) out[i] = record_call_locked(records[i]);
  const auto count_key = [](const CallRecord& r) {
    return std::tuple(r.partner_id, r.direction, r.id % kCountSlots);
  };
  std::vector<const CallRecord*> inserted;
  for (const auto& recorded : out) {
    if (recorded.inserted) inserted.push_back(&recorded.record);
  }
  std::sort(inserted.begin(), inserted.end(),
            [&](const auto* a, const auto* b) { return count_key(*a) < count_key(*b); });
  for (const auto* record : inserted) count_cdr_added(db_, *record);
  tx.commit();
  return out;
}

RecordedCall SqlCallRecordStore::record_call_locked(const CallRecord& record) {
  // Two nodes asked about one call insert one row: the second insert does nothing and
  // reads the first one's record instead.
  CallRecord stored = record;
  if (record.direction == CallDirection::inbound && record.source_id) {
    stored.attribution = attribute(record);
  }
  {
    auto stmt = db_.prepare(
        "INSERT INTO cdrs (partner_id, customer_id, source_id, campaign_id, callback_id,"
        " direction, switch_call_id, caller, tracking_number, answering_number, action,"
        " reject_sip_status, reject_reason, quarantined, recorded, voicemail_on_busy,"
        " voicemail_on_no_answer, start, ringing_at, answered_at, voicemail_at, ended_at,"
        " failure_sip_status, hangup_by, hangup_reason, end_unknown, attribution,"
        " attribution_text, dni_session_id, visit) VALUES (:partner_id, :customer_id,"
        " :source_id, :campaign_id, :callback_id, :direction, :switch_call_id, :caller,"
        " :tracking_number, :answering_number, :action, :reject_sip_status, :reject_reason,"
        " :quarantined, :recorded, :voicemail_on_busy, :voicemail_on_no_answer, :start,"
        " :ringing_at, :answered_at, :voicemail_at, :ended_at, :failure_sip_status,"
        " :hangup_by, :hangup_reason, :end_unknown, :attribution, :attribution_text,"
        " :dni_session_id, :visit) ON CONFLICT (switch_call_id) DO NOTHING RETURNING id");
    bind_event_facts(stmt, record);
    stmt.bind(":partner_id", record.partner_id)
        .bind(":customer_id", record.customer_id)
        .bind(":source_id", record.source_id)
        .bind(":campaign_id", record.campaign_id)
        .bind(":callback_id", record.callback_id)
        .bind(":direction", to_string(record.direction))
        .bind(":switch_call_id", record.switch_call_id)
        .bind(":caller", record.caller)
        .bind(":tracking_number", record.tracking_number)
        .bind(":action", to_string(record.action))
        .bind(":reject_sip_status", record.reject_sip_status)
        .bind(":reject_reason", record.reject_reason)
        .bind(":quarantined", flag(record.quarantined))
        .bind(":recorded", flag(record.recorded))
        .bind(":voicemail_on_busy", flag(record.voicemail_on_busy))
        .bind(":voicemail_on_no_answer", flag(record.voicemail_on_no_answer))
        .bind(":start", record.start);
    bind_attribution(stmt, stored.attribution);
    if (!stmt.step()) {
      return {.record = find_by_switch_id_locked(record.switch_call_id, false).value()};
    }
    stored.id = stmt.int64(0);
    stmt.run();
  }
  // Only the node that inserted the row announces the call, so call.started has sequence 1
  // (given, not read: the row is new, so the call has no events yet). A call that ended as it
  // was routed (a rejection) is completed in the same breath.
  write_call_event(db_, kCallStarted, stored, clock_.now(), 1);
  if (stored.ended_at) {
    write_call_event(db_, kCallCompleted, stored, clock_.now(), 2);
    queue_call_notifications(db_, CallRecord{}, stored, clock_.now());
  }
  return {.record = std::move(stored), .inserted = true};
}

std::optional<CallRecord> SqlCallRecordStore::find_call_by_switch_id(
    std::string_view switch_call_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_by_switch_id_locked(switch_call_id, false);
}

AppliedCallEvent SqlCallRecordStore::apply_event(std::string_view switch_call_id,
                                                 const CallEvent& event) {
  // The row lock makes another node's event for the same call wait for this
  // read-modify-write (SQLite: the write transaction does).
  SqlTransaction tx(db_, Mode::concurrent_write);
  auto applied = apply_event_locked(switch_call_id, event);
  if (!applied) throw NotFoundError("call record not found");
  tx.commit();
  return std::move(*applied);
}

std::vector<std::optional<AppliedCallEvent>> SqlCallRecordStore::apply_events(
    std::span<const SwitchCallEvent> events) {
  // Rows are locked in call id order (a stable sort keeps each call's events in order), so
  // two batches naming the same calls, as a retried delivery on another node may, cannot
  // deadlock.
  std::vector<std::size_t> order(events.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return events[a].switch_call_id < events[b].switch_call_id;
  });
  std::vector<std::optional<AppliedCallEvent>> results(events.size());
  SqlTransaction tx(db_, Mode::concurrent_write);
  for (const auto i : order) {
    results[i] = apply_event_locked(events[i].switch_call_id, events[i].event);
  }
  tx.commit();
  return results;
}

std::optional<AppliedCallEvent> SqlCallRecordStore::apply_event_locked(
    std::string_view switch_call_id, const CallEvent& event) {
  auto record = find_by_switch_id_locked(switch_call_id, /*lock_row=*/true);
  if (!record) return std::nullopt;
  const CallRecord before = *record;
  apply_call_event(*record, event);
  // Retransmitted events change nothing; they need not rewrite the row.
  if (*record != before) write_event_facts(*record);
  // Under the row lock: this call's sequence numbers are assigned one apply at a time.
  for (const auto type : call_event_types(before, *record)) {
    write_call_event(db_, type, *record, clock_.now());
  }
  // The call's e-mail, if this event made it missed, in the same transaction as its
  // call.completed event.
  if (*record != before) queue_call_notifications(db_, before, *record, clock_.now());
  return AppliedCallEvent{*record, before};
}

std::vector<Id> SqlCallRecordStore::open_call_ids(TimePoint started_before, int limit) {
  SqlTransaction tx(db_, Mode::read);
  auto stmt = db_.prepare(
      "SELECT id FROM cdrs WHERE ended_at IS NULL AND start <= :before ORDER BY start, id"
      " LIMIT :limit");
  stmt.bind(":before", started_before).bind(":limit", limit);
  std::vector<Id> ids;
  while (stmt.step()) ids.push_back(stmt.int64(0));
  return ids;
}

std::optional<AppliedCallEvent> SqlCallRecordStore::close_overdue_call(
    Id cdr_id, TimePoint now, std::chrono::seconds max_call_length) {
  // Locked and checked again: the end may have arrived, or another node's sweep closed it,
  // since the ids were listed.
  SqlTransaction tx(db_, Mode::concurrent_write);
  auto found = find_call_record(db_, cdr_id, /*lock_row=*/true);
  if (!found) return std::nullopt;
  auto record = std::move(*found);
  if (!is_overdue(record, now, max_call_length)) return std::nullopt;
  const CallRecord before = record;
  close_as_unknown(record);
  write_event_facts(record);
  for (const auto type : call_event_types(before, record)) {
    write_call_event(db_, type, record, clock_.now());
  }
  queue_call_notifications(db_, before, record, clock_.now());
  tx.commit();
  return AppliedCallEvent{record, before};
}

std::optional<CallRecord> SqlCallRecordStore::find_call(Id partner_id, Id cdr_id) {
  SqlTransaction tx(db_, Mode::read);
  auto stmt =
      db_.prepare("SELECT " + kColumns + " FROM cdrs WHERE id = :id AND partner_id = :partner_id");
  stmt.bind(":id", cdr_id).bind(":partner_id", partner_id);
  if (!stmt.step()) return std::nullopt;
  return read_call_record(stmt);
}

// The partner's counts are read in the listing's snapshot: the total of an unfiltered listing
// is their sum, and what this node derived before under the same change count (a filtered
// total, the row before a page) still holds in this snapshot (docs/storage.md, "CDR listing").
Page<CallRecord> SqlCallRecordStore::list_calls(Id partner_id, const CallRecordFilter& filter,
                                                PageRequest page) {
  const std::int64_t size = std::max(page.pagesize, 0);
  const std::int64_t offset = std::max(page.page, 0) * size;
  const char* order = filter.newest_first ? "start DESC, id DESC" : "start, id";
  SqlTransaction tx(db_, Mode::read);
  const auto counts = read_cdr_counts(db_, partner_id, filter.direction);
  Page<CallRecord> result;

  // A page after a known row seeks from it; any other page but the first reads the row before
  // it too, to know it next time.
  std::optional<CdrListingCache::Boundary> after;
  if (offset > 0) after = listing_cache_.boundary(partner_id, filter, offset, counts.changes);
  auto seek = filter;
  std::int64_t skip = offset;
  std::int64_t limit = size;
  if (after) {
    (filter.newest_first ? seek.to : seek.from) = TimePoint(std::chrono::seconds(after->start));
  }
  std::string where = where_clause(seek);
  if (after) {
    where += filter.newest_first ? " AND (start < :after_start OR id < :after_id)"
                                 : " AND (start > :after_start OR id > :after_id)";
    skip = 0;
  } else if (offset > 0 && size > 0) {
    skip = offset - 1;
    limit = size + 1;
  }
  {
    // The row count written out and no OFFSET 0, as for every listing (limit_offset).
    auto rows =
        db_.prepare("SELECT " + (filter.with_attribution ? kColumns : kColumnsWithoutAttribution) +
                    where + " ORDER BY " + order + limit_offset(limit, skip));
    bind_filter(rows, partner_id, seek);
    if (after) rows.bind(":after_start", after->start).bind(":after_id", after->id);
    if (skip > 0) rows.bind(":offset", skip);
    // Reserved: a vector growing by doubling copies every record it holds (CallRecord's move
    // may throw), which perf showed as CallAttribution copies. Each row is read into its place.
    result.items.reserve(static_cast<std::size_t>(size));
    bool before_page = !after && skip != offset;
    while (rows.step()) {
      if (before_page) {
        before_page = false;
        listing_cache_.remember_boundary(partner_id, filter, offset, counts.changes,
                                         {rows.time(18).time_since_epoch().count(), rows.int64(0)});
        continue;
      }
      read_call_record_into(rows, result.items.emplace_back());
    }
  }
  if (size > 0 && static_cast<std::int64_t>(result.items.size()) == size) {
    const auto& last = result.items.back();
    listing_cache_.remember_boundary(partner_id, filter, offset + size, counts.changes,
                                     {last.start.time_since_epoch().count(), last.id});
  }

  if (!narrows(filter)) {
    result.total = counts.calls;
  } else if (const auto total = listing_cache_.total(partner_id, filter, counts.changes)) {
    result.total = *total;
  } else {
    auto count = db_.prepare("SELECT COUNT(*)" + where_clause(filter));
    bind_filter(count, partner_id, filter);
    count.step();
    result.total = count.int64(0);
    listing_cache_.remember_total(partner_id, filter, counts.changes, result.total);
  }
  return result;
}

// The caller's records are found by their number under the partner's scope. The call
// records are changed first: on PostgreSQL the UPDATE waits for an event being applied to one
// of them (its row lock), so the events read afterwards include the ones that event wrote.
// The call's recording goes with the caller's data; an expired one has no file left.
void SqlCallRecordStore::erase_recording(Id cdr_id, ErasedCaller& erased) {
  auto rows = db_.prepare("DELETE FROM recordings WHERE cdr_id = :cdr_id RETURNING file_name");
  rows.bind(":cdr_id", cdr_id);
  while (rows.step()) {
    ++erased.recordings;
    if (!rows.is_null(0)) erased.recording_files.push_back(rows.text(0));
  }
  db_.prepare("UPDATE cdrs SET recording_id = NULL WHERE id = :cdr_id")
      .bind(":cdr_id", cdr_id)
      .run();
}

CallRecordStore::ErasedCaller SqlCallRecordStore::erase_caller(Id partner_id,
                                                               const std::string& caller) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  std::vector<Id> calls;
  {
    auto rows = db_.prepare(
        "UPDATE cdrs SET caller = '' WHERE partner_id = :partner_id AND caller = :caller"
        " RETURNING id");
    rows.bind(":partner_id", partner_id).bind(":caller", caller);
    while (rows.step()) calls.push_back(rows.int64(0));
  }
  ErasedCaller erased{.calls = calls.size()};
  if (!calls.empty()) count_cdrs_changed(db_, partner_id);
  for (const Id cdr_id : calls) {
    erased.events += rewrite_call_events(db_, cdr_id, erase_caller_in_payload);
    erase_call_mails(db_, cdr_id);
    erase_recording(cdr_id, erased);
  }
  db_.prepare(
         "UPDATE callbacks SET requester_number = '', completed = 1"
         " WHERE requester_number = :caller" +
         kPartnersCustomers)
      .bind(":caller", caller)
      .bind(":partner_id", partner_id)
      .run();
  erased.callbacks = static_cast<std::size_t>(db_.changes());
  db_.prepare("UPDATE pincodes SET phone_number = NULL WHERE phone_number = :caller" +
              kPartnersCustomers)
      .bind(":caller", caller)
      .bind(":partner_id", partner_id)
      .run();
  erased.pincodes = static_cast<std::size_t>(db_.changes());
  if (erased.calls + erased.callbacks + erased.pincodes == 0) {
    throw NotFoundError("no record of the partner holds this caller");
  }
  tx.commit();
  return erased;
}

}  // namespace callsight
