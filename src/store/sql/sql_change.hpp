#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/types.hpp"
#include "store/sql/sql_database.hpp"
#include "store/store.hpp"

// How the SQL stores apply a Change (store.hpp): the lookups it may make and the write of
// only what it altered, both inside the write transaction the store method holds.
namespace callsight {

class SqlChangeLookups final : public ChangeLookups {
 public:
  explicit SqlChangeLookups(SqlDatabase& db) : db_(db) {}

  bool has_customer(Id partner_id, Id customer_id) override;
  bool has_campaign(Id partner_id, Id customer_id, Id campaign_id) override;
  bool has_greeting(Id partner_id, Id customer_id, Id greeting_id) override;

 private:
  SqlDatabase& db_;
};

// Writes the columns of one row whose value a change altered, one statement per column: a
// concurrent change of other columns is never overwritten with what this one read, and the
// statements stay a fixed few (cached) whatever combination a request changes.
class ChangedColumns {
 public:
  // `key` names the row's key column, for tables keyed by another row (dni_pools by source).
  ChangedColumns(SqlDatabase& db, std::string table, Id id, std::string key = "id")
      : db_(db), table_(std::move(table)), id_(id), key_(std::move(key)) {}

  template <class Value>
  ChangedColumns& write(std::string_view column, const Value& before, const Value& after) {
    if (before == after) return *this;
    db_.prepare("UPDATE " + table_ + " SET " + std::string(column) + " = :value WHERE " + key_ +
                " = :id")
        .bind(":value", after)
        .bind(":id", id_)
        .run();
    return *this;
  }

 private:
  SqlDatabase& db_;
  const std::string table_;
  const Id id_;
  const std::string key_;
};

// A change to one row as one write transaction: read the row (locked), let `change` apply its
// rule and lookups to a copy, then `write(before, after)` checks and writes what differs. The
// answer is the row as stored afterwards; nullopt when `find_locked` finds none; the row
// unchanged when `change` declines.
template <class T, class FindLocked, class Write>
std::optional<T> apply_change(SqlDatabase& db, const Change<T>& change, FindLocked find_locked,
                              Write write) {
  SqlTransaction tx(db, TxMode::write);
  const std::optional<T> before = find_locked();
  if (!before) return std::nullopt;
  T after = *before;
  SqlChangeLookups lookups(db);
  if (!change(after, lookups)) return before;
  write(*before, after);
  std::optional<T> stored = find_locked();
  tx.commit();
  return stored;
}

}  // namespace callsight
