#include "store/sql/sql_recording_store.hpp"

#include "common/random.hpp"
#include "core/webhook.hpp"
#include "store/sql/sql_call_record_store.hpp"
#include "store/sql/sql_fragments.hpp"
#include "store/sql/sql_outbox.hpp"

namespace callsight {
namespace {

// The read_recording order.
const std::string kRecordingColumns =
    "r.id, r.recording_id, r.partner_id, r.customer_id, r.source_id, r.cdr_id, r.kind, "
    "r.file_name, r.bytes, r.duration_ms, r.sha256, r.created, r.expired_at";

Recording read_recording(const SqlStatement& row) {
  Recording r;
  r.id = row.int64(0);
  r.recording_id = row.text(1);
  r.partner_id = row.int64(2);
  r.customer_id = row.int64(3);
  r.source_id = row.optional_int64(4);
  r.cdr_id = row.int64(5);
  r.kind = parse_recording_kind(row.text(6)).value_or(RecordingKind::call);
  r.file_name = row.optional_text(7).value_or("");
  r.bytes = row.int64(8);
  r.duration_ms = row.int64(9);
  r.sha256 = row.text(10);
  r.created = row.time(11);
  r.expired_at = row.optional_time(12);
  return r;
}

}  // namespace

std::optional<Recording> SqlRecordingStore::find_by_cdr(Id cdr_id) {
  auto row =
      db_.prepare("SELECT " + kRecordingColumns + " FROM recordings r WHERE r.cdr_id = :cdr_id");
  row.bind(":cdr_id", cdr_id);
  if (!row.step()) return std::nullopt;
  return read_recording(row);
}

StoredRecording SqlRecordingStore::add_recording(std::string_view switch_call_id,
                                                 RecordingKind kind, const RecordingFile& file,
                                                 TimePoint now) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  // The call's row lock keeps two nodes picking up one call's media apart, and orders the
  // event after the call's own (sql_outbox.hpp).
  auto call = find_call_record(db_, switch_call_id, /*lock_row=*/true);
  if (!call) throw NotFoundError("no call has this switch call id");
  if (auto existing = find_by_cdr(call->id)) return {*existing, false};
  Recording recording{.recording_id = random_uuid_v4(),
                      .partner_id = call->partner_id,
                      .customer_id = call->customer_id,
                      .source_id = call->source_id,
                      .cdr_id = call->id,
                      .kind = kind,
                      .file_name = file.file_name,
                      .bytes = file.bytes,
                      .duration_ms = file.duration_ms,
                      .sha256 = file.sha256,
                      .created = now};
  recording.id =
      db_.prepare(
             "INSERT INTO recordings (recording_id, partner_id, customer_id, source_id, cdr_id, "
             "kind, file_name, bytes, duration_ms, sha256, created) VALUES (:recording_id, "
             ":partner_id, :customer_id, :source_id, :cdr_id, :kind, :file_name, :bytes, "
             ":duration_ms, :sha256, :created) RETURNING id")
          .bind(":recording_id", recording.recording_id)
          .bind(":partner_id", recording.partner_id)
          .bind(":customer_id", recording.customer_id)
          .bind(":source_id", recording.source_id)
          .bind(":cdr_id", recording.cdr_id)
          .bind(":kind", to_string(recording.kind))
          .bind(":file_name", recording.file_name)
          .bind(":bytes", recording.bytes)
          .bind(":duration_ms", recording.duration_ms)
          .bind(":sha256", recording.sha256)
          .bind(":created", recording.created)
          .returning_id();
  db_.prepare("UPDATE cdrs SET recording_id = :recording_id WHERE id = :id")
      .bind(":recording_id", recording.recording_id)
      .bind(":id", call->id)
      .run();
  call->recording_id = recording.recording_id;
  write_call_event(db_, kCallRecordingReady, *call, now);
  tx.commit();
  return {recording, true};
}

std::optional<Recording> SqlRecordingStore::find_recording_for_link(std::string_view recording_id) {
  SqlTransaction tx(db_, Mode::read);
  auto row = db_.prepare("SELECT " + kRecordingColumns +
                         " FROM recordings r WHERE r.recording_id = :recording_id");
  row.bind(":recording_id", recording_id);
  if (!row.step()) return std::nullopt;
  return read_recording(row);
}

std::optional<Recording> SqlRecordingStore::find_recording(Id partner_id,
                                                           std::string_view recording_id) {
  SqlTransaction tx(db_, Mode::read);
  auto row = db_.prepare("SELECT " + kRecordingColumns +
                         " FROM recordings r WHERE r.recording_id = :recording_id"
                         " AND r.partner_id = :partner_id");
  row.bind(":recording_id", recording_id).bind(":partner_id", partner_id);
  if (!row.step()) return std::nullopt;
  return read_recording(row);
}

Page<Recording> SqlRecordingStore::list_recordings(Id partner_id, Id customer_id,
                                                   PageRequest page) {
  SqlTransaction tx(db_, Mode::read);
  return read_page(
      db_, kRecordingColumns,
      " FROM recordings r WHERE r.partner_id = :partner_id AND r.customer_id = :customer_id",
      "r.id DESC", page,
      [&](SqlStatement& stmt) {
        stmt.bind(":partner_id", partner_id).bind(":customer_id", customer_id);
      },
      read_recording);
}

ReleasedAudio SqlRecordingStore::delete_recording(Id partner_id, std::string_view recording_id) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  auto row = db_.prepare(
      "DELETE FROM recordings WHERE recording_id = :recording_id AND partner_id = :partner_id"
      " RETURNING id, cdr_id, file_name");
  row.bind(":recording_id", recording_id).bind(":partner_id", partner_id);
  if (!row.step()) throw NotFoundError("no such recording");
  ReleasedAudio released{.id = row.int64(0), .file_name = row.optional_text(2).value_or("")};
  const Id cdr_id = row.int64(1);
  row.run();
  db_.prepare("UPDATE cdrs SET recording_id = NULL WHERE id = :id").bind(":id", cdr_id).run();
  tx.commit();
  return released;
}

std::optional<ReleasedAudio> SqlRecordingStore::expire_one(Id id, TimePoint now) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  // Due again under the lock: the partner's retention may have grown since the list was read,
  // or another node expired it.
  auto row = db_.prepare(
      "SELECT r.file_name FROM recordings r JOIN partners p ON p.id = r.partner_id"
      " WHERE r.id = :id AND r.expired_at IS NULL"
      " AND r.created + 86400 * p.recording_retention_days <= :now" +
      db_.dialect().lock_clause("r", false));
  row.bind(":id", id).bind(":now", now);
  if (!row.step()) return std::nullopt;
  ReleasedAudio released{.id = id, .file_name = row.optional_text(0).value_or("")};
  row.run();
  db_.prepare("UPDATE recordings SET expired_at = :now, file_name = NULL WHERE id = :id")
      .bind(":now", now)
      .bind(":id", id)
      .run();
  tx.commit();
  return released;
}

std::vector<ReleasedAudio> SqlRecordingStore::expire_due(TimePoint now, int limit,
                                                         const RowFailureHandler& on_failure) {
  std::vector<Id> due;
  {
    SqlTransaction tx(db_, Mode::read);
    auto rows = db_.prepare(
        "SELECT r.id FROM recordings r JOIN partners p ON p.id = r.partner_id"
        " WHERE r.expired_at IS NULL AND r.created + 86400 * p.recording_retention_days <= :now"
        " ORDER BY r.created, r.id LIMIT :limit");
    rows.bind(":now", now).bind(":limit", limit);
    while (rows.step()) due.push_back(rows.int64(0));
  }
  std::vector<ReleasedAudio> released;
  for (const Id id : due) {
    try {
      if (auto audio = expire_one(id, now)) released.push_back(std::move(*audio));
    } catch (const std::exception& error) {
      if (on_failure) on_failure(id, error);
    }
  }
  return released;
}

}  // namespace callsight
