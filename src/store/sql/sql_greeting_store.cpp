#include "store/sql/sql_greeting_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {

namespace {

const std::string kGreetingColumns =
    "g.id, g.customer_id, g.name, g.created, g.datalength, g.locked";

// What a customer sees: system greetings and its own. :customer_id must be the partner's.
const std::string kVisibleGreetings =
    " FROM voicemail_greetings g WHERE (g.customer_id IS NULL OR g.customer_id = :customer_id)";

VoicemailGreeting read_greeting(const SqlStatement& row) {
  VoicemailGreeting g;
  g.id = row.int64(0);
  g.customer_id = row.optional_int64(1);
  g.name = row.text(2);
  g.timestamp = row.text(3);
  g.datalength = row.int64(4);
  g.locked = row.integer(5) != 0;
  return g;
}

}  // namespace

void SqlGreetingStore::fill_used_by(VoicemailGreeting& greeting, Id customer_id) {
  auto stmt = db_.prepare(
      "SELECT s.id FROM sources s JOIN partners p ON p.id = s.partner_id"
      " WHERE s.vm_greeting_id = :id AND s.customer_id = :customer_id AND " +
      source_status_sql() + " <> 'archived' ORDER BY s.id");
  stmt.bind(":id", greeting.id).bind(":customer_id", customer_id).bind(":now", clock_.now());
  greeting.used_by.clear();
  while (stmt.step()) greeting.used_by.push_back(stmt.int64(0));
}

std::optional<VoicemailGreeting> SqlGreetingStore::find_locked(Id partner_id, Id customer_id,
                                                               Id greeting_id, bool with_sound) {
  if (!is_partners_customer(db_, partner_id, customer_id)) return std::nullopt;
  auto stmt = db_.prepare("SELECT " + kGreetingColumns + ", g.sounddata" + kVisibleGreetings +
                          " AND g.id = :id");
  stmt.bind(":customer_id", customer_id).bind(":id", greeting_id);
  if (!stmt.step()) return std::nullopt;
  auto greeting = read_greeting(stmt);
  if (with_sound) greeting.sounddata_base64 = stmt.optional_text(6).value_or("");
  fill_used_by(greeting, customer_id);
  return greeting;
}

VoicemailGreeting SqlGreetingStore::changeable(Id partner_id, Id customer_id, Id greeting_id) {
  auto greeting = find_locked(partner_id, customer_id, greeting_id, false);
  if (!greeting) throw NotFoundError("voicemail greeting not found");
  if (greeting->locked) {
    throw ConflictError("locked", "vm_greeting_id", "a system greeting cannot be changed");
  }
  return *greeting;
}

VoicemailGreeting SqlGreetingStore::create_greeting(Id partner_id,
                                                    const VoicemailGreeting& greeting,
                                                    const std::optional<std::string>& record_pin) {
  SqlTransaction tx(db_, Mode::write);
  const Id customer_id = greeting.customer_id.value_or(0);
  require_partners_customer(db_, partner_id, customer_id);
  const auto sound = greeting.sounddata_base64.value_or("");
  Id id = 0;
  {
    auto stmt = db_.prepare(
        "INSERT INTO voicemail_greetings (customer_id, name, locked, sounddata, datalength, "
        "record_pin, created) VALUES (:customer_id, :name, 0, :sounddata, :datalength, "
        ":record_pin, :created) RETURNING id");
    stmt.bind(":customer_id", customer_id)
        .bind(":name", greeting.name)
        .bind(":sounddata", sound.empty() ? std::nullopt : std::optional(sound))
        .bind(":datalength", greeting.datalength)
        .bind(":record_pin", record_pin)
        .bind(":created", format_utc(clock_.now()));
    id = stmt.returning_id();
  }
  auto stored = find_locked(partner_id, customer_id, id, false);
  tx.commit();
  return *stored;
}

std::optional<VoicemailGreeting> SqlGreetingStore::find_greeting(Id partner_id, Id customer_id,
                                                                 Id greeting_id, bool with_sound) {
  SqlTransaction tx(db_, Mode::read);
  return find_locked(partner_id, customer_id, greeting_id, with_sound);
}

Page<VoicemailGreeting> SqlGreetingStore::list_greetings(Id partner_id, Id customer_id,
                                                         PageRequest page) {
  SqlTransaction tx(db_, Mode::read);
  if (!is_partners_customer(db_, partner_id, customer_id)) return {};
  auto result = read_page(
      db_, kGreetingColumns, kVisibleGreetings, "g.id", page,
      [&](SqlStatement& stmt) { stmt.bind(":customer_id", customer_id); }, read_greeting);
  for (auto& greeting : result.items) fill_used_by(greeting, customer_id);
  return result;
}

VoicemailGreeting SqlGreetingStore::rename_greeting(Id partner_id, Id customer_id, Id greeting_id,
                                                    const std::string& name) {
  SqlTransaction tx(db_, Mode::write);
  changeable(partner_id, customer_id, greeting_id);
  db_.prepare("UPDATE voicemail_greetings SET name = :name WHERE id = :id")
      .bind(":name", name)
      .bind(":id", greeting_id)
      .run();
  auto stored = find_locked(partner_id, customer_id, greeting_id, false);
  tx.commit();
  return *stored;
}

VoicemailGreeting SqlGreetingStore::delete_greeting(Id partner_id, Id customer_id, Id greeting_id) {
  SqlTransaction tx(db_, Mode::write);
  auto greeting = changeable(partner_id, customer_id, greeting_id);
  // A source created beside this transaction holds the greeting's row (SqlChangeLookups)
  // until it commits: wait for it, so that the count below sees it.
  db_.prepare("SELECT 1 FROM voicemail_greetings g WHERE g.id = :id" +
              db_.dialect().lock_clause("g", false))
      .bind(":id", greeting_id)
      .run();
  // Counted over every customer, not only the asking one's used_by.
  auto users = db_.prepare(
      "SELECT (SELECT COUNT(*) FROM campaigns WHERE vm_greeting_id = :id) +"
      " (SELECT COUNT(*) FROM sources s JOIN partners p ON p.id = s.partner_id"
      " WHERE s.vm_greeting_id = :id AND " +
      source_status_sql() + " <> 'archived')");
  users.bind(":id", greeting_id).bind(":now", clock_.now());
  users.step();
  if (users.int64(0) > 0) {
    throw ConflictError("in_use", "vm_greeting_id",
                        "a campaign or a source that is not archived uses the greeting");
  }
  // Archived sources keep no reference to a greeting that no longer exists.
  db_.prepare("UPDATE sources SET vm_greeting_id = NULL WHERE vm_greeting_id = :id")
      .bind(":id", greeting_id)
      .run();
  db_.prepare("DELETE FROM voicemail_greetings WHERE id = :id").bind(":id", greeting_id).run();
  tx.commit();
  return greeting;
}

}  // namespace callsight
