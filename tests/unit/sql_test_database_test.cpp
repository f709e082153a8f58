// TestDatabase (test_database.hpp) hands every test a migrated database as new, whatever the
// test before it left there: on PostgreSQL the same schema emptied again, or a new one when
// the test changed the schema's definition. Named Sql* so that unit.store_on_postgres runs it.
#include <gtest/gtest.h>

#include <string>

#include "store/partner_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

// The rows the migrations themselves write (the versions, the system greeting) and how many
// partners there are.
std::string migrations_rows_and_partners(const TestDatabase& database) {
  const auto db = database.open_raw();
  SqlTransaction tx(*db, TxMode::read);
  std::string out;
  auto versions = db->prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  while (versions.step()) out += "version " + versions.text(0) + " " + versions.text(1) + "\n";
  auto greetings = db->prepare("SELECT id, name, created FROM voicemail_greetings ORDER BY id");
  while (greetings.step()) {
    out +=
        "greeting " + greetings.text(0) + " " + greetings.text(1) + " " + greetings.text(2) + "\n";
  }
  auto partners = db->prepare("SELECT COUNT(*) FROM partners");
  partners.step();
  return out + "partners " + partners.text(0) + "\n";
}

Id add_partner(const TestDatabase& database, const Clock& clock, const std::string& username) {
  Partner partner;
  partner.username = username;
  return open_store(database.location(), clock)->partners().create_partner(partner).id;
}

void run_raw(const TestDatabase& database, const std::string& sql) {
  const auto db = database.open_raw();
  SqlTransaction tx(*db, TxMode::write);
  db->exec(sql);
  tx.commit();
}

TEST(SqlTestDatabase, RowsAndIdsAnEarlierTestLeftAreGone) {
  const ManualClock clock(at("2024-01-15 12:00:00"));
  std::string as_migrated;
  Id first_id = 0;
  {
    const TestDatabase earlier(Start::migrated);
    as_migrated = migrations_rows_and_partners(earlier);
    EXPECT_NE(as_migrated.find("greeting 1 Standard greeting"), std::string::npos) << as_migrated;
    EXPECT_NE(as_migrated.find("partners 0"), std::string::npos) << as_migrated;
    first_id = add_partner(earlier, clock, "earlier");
    add_partner(earlier, clock, "also-earlier");
    run_raw(earlier,
            "DELETE FROM voicemail_greetings; UPDATE schema_migrations SET applied_at = ''");
  }
  const TestDatabase later(Start::migrated);
  EXPECT_EQ(migrations_rows_and_partners(later), as_migrated);
  EXPECT_EQ(add_partner(later, clock, "later"), first_id);
}

TEST(SqlTestDatabase, ATriggerAnEarlierTestMadeIsGone) {
  const ManualClock clock(at("2024-01-15 12:00:00"));
  {
    const TestDatabase earlier(Start::migrated);
    run_raw(earlier, testing_postgres()
                         ? "CREATE FUNCTION refuse_partner() RETURNS trigger LANGUAGE plpgsql AS"
                           " $$ BEGIN RAISE EXCEPTION 'refused'; END $$;"
                           " CREATE TRIGGER refuse_partner BEFORE INSERT ON partners"
                           " FOR EACH ROW EXECUTE FUNCTION refuse_partner()"
                         : "CREATE TRIGGER refuse_partner BEFORE INSERT ON partners"
                           " BEGIN SELECT RAISE(ABORT, 'refused'); END");
    EXPECT_THROW(add_partner(earlier, clock, "refused"), StoreError);
  }
  const TestDatabase later(Start::migrated);
  EXPECT_GT(add_partner(later, clock, "welcome"), 0);
  if (testing_postgres()) {
    // The function went with the trigger: a test may make its own of the same name.
    run_raw(later,
            "CREATE FUNCTION refuse_partner() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RETURN NULL; END $$");
  }
}

}  // namespace
}  // namespace callsight
