#include "store/sql/sql_transfer.hpp"

#include <algorithm>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <vector>

#include "common/text.hpp"
#include "common/utf8.hpp"
#include "store/postgres/pg_database.hpp"
#include "store/sql/sql_call_record_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/store.hpp"

namespace callsight {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kFormat = "callsight-export";
constexpr int kFormatVersion = 1;
constexpr const char* kMigrationsTable = "schema_migrations";

// Rows the migrations insert themselves (migration 4: the system greeting every customer
// may use). A freshly migrated database holds them, so they do not make it "not empty";
// import deletes them and takes the source's copies, whose ids sources already point at.
// A migration that seeds another table must be added here, or import refuses such
// databases as not empty.
struct SeededRows {
  const char* table;
  const char* condition;
};
constexpr SeededRows kSeededRows[] = {{"voicemail_greetings", "customer_id IS NULL"}};

struct Column {
  std::string name;
  bool integer = false;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::optional<std::string> id_column;  // the generated key (AUTOINCREMENT / IDENTITY)
  std::vector<std::string> parents;      // tables its foreign keys reference
};

// How each dialect's catalog answers the same three questions. Columns come back as
// (name, declared type, 1 when it is the table's generated id).
struct Catalog {
  const char* tables;
  const char* columns;
  const char* parents;
};

constexpr Catalog kSqliteCatalog{
    R"sql(SELECT name FROM sqlite_master
          WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name)sql",
    // INTEGER PRIMARY KEY as the only key column is the rowid, the generated id.
    R"sql(SELECT name, type, pk = 1 AND upper(type) = 'INTEGER' AND
                 (SELECT COUNT(*) FROM pragma_table_info(:table) WHERE pk > 0) = 1
          FROM pragma_table_info(:table) ORDER BY cid)sql",
    R"sql(SELECT DISTINCT "table" FROM pragma_foreign_key_list(:table))sql",
};

constexpr Catalog kPostgresCatalog{
    R"sql(SELECT table_name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
          ORDER BY table_name)sql",
    R"sql(SELECT column_name, udt_name, CASE WHEN is_identity = 'YES' THEN 1 ELSE 0 END
          FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = :table
          ORDER BY ordinal_position)sql",
    R"sql(SELECT DISTINCT parent.relname FROM pg_constraint c
          JOIN pg_class child ON child.oid = c.conrelid
          JOIN pg_class parent ON parent.oid = c.confrelid
          WHERE c.contype = 'f' AND child.relname = :table
            AND child.relnamespace = current_schema()::regnamespace)sql",
};

bool is_postgres(const SqlDatabase& db) { return db.dialect().name == "PostgreSQL"; }

const Catalog& catalog_of(const SqlDatabase& db) {
  return is_postgres(db) ? kPostgresCatalog : kSqliteCatalog;
}

std::string sql_identifier(std::string_view identifier) {
  std::string out = "\"";
  for (const char c : identifier) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool is_integer_type(std::string_view type) {
  return ascii_upper(type).find("INT") != std::string::npos;
}

Table describe(SqlDatabase& db, const std::string& name) {
  Table table{.name = name};
  auto columns = db.prepare(catalog_of(db).columns);
  columns.bind(":table", name);
  while (columns.step()) {
    table.columns.push_back({columns.text(0), is_integer_type(columns.text(1))});
    if (columns.int64(2) != 0) table.id_column = columns.text(0);
  }
  auto parents = db.prepare(catalog_of(db).parents);
  parents.bind(":table", name);
  while (parents.step()) {
    if (parents.text(0) != name) table.parents.push_back(parents.text(0));
  }
  return table;
}

// Every table of the schema, parents before the tables whose foreign keys point at them
// (ties by name), so inserting in this order satisfies every foreign key.
std::vector<Table> tables_in_key_order(SqlDatabase& db) {
  std::vector<Table> pending;
  auto names = db.prepare(catalog_of(db).tables);
  while (names.step()) pending.push_back({.name = names.text(0)});
  for (auto& table : pending) table = describe(db, table.name);

  std::vector<Table> ordered;
  std::set<std::string> placed;
  std::set<std::string> known;
  for (const auto& table : pending) known.insert(table.name);
  while (!pending.empty()) {
    const auto ready = std::find_if(pending.begin(), pending.end(), [&](const Table& table) {
      return std::all_of(table.parents.begin(), table.parents.end(), [&](const auto& parent) {
        return placed.contains(parent) || !known.contains(parent);
      });
    });
    if (ready == pending.end()) {
      throw StoreError("the schema's foreign keys form a cycle around table " +
                       pending.front().name);
    }
    placed.insert(ready->name);
    ordered.push_back(std::move(*ready));
    pending.erase(ready);
  }
  return ordered;
}

bool has_table(const std::vector<Table>& tables, std::string_view name) {
  return std::any_of(tables.begin(), tables.end(),
                     [&](const Table& table) { return table.name == name; });
}

int schema_version(SqlDatabase& db, const std::vector<Table>& tables) {
  if (!has_table(tables, kMigrationsTable)) {
    throw StoreError(db.description() +
                     " has no schema_migrations table: not a migrated Callsight database "
                     "(run `callsight migrate`)");
  }
  auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  stmt.step();
  return stmt.integer(0);
}

// The highest id the table's generator handed out so far (0 when none or unknown).
std::int64_t id_sequence(SqlDatabase& db, const Table& table) {
  if (is_postgres(db)) {
    auto stmt = db.prepare(
        "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(:table, :column)"
        "::regclass), 0)");
    stmt.bind(":table", sql_identifier(table.name)).bind(":column", *table.id_column);
    stmt.step();
    return stmt.int64(0);
  }
  auto stmt =
      db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = :table), 0)");
  stmt.bind(":table", table.name);
  stmt.step();
  return stmt.int64(0);
}

std::string select_all(const Table& table) {
  std::string columns;
  std::string order;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    columns += (i ? ", " : "") + sql_identifier(table.columns[i].name);
    order += (i ? ", " : "") + std::to_string(i + 1);
  }
  return "SELECT " + columns + " FROM " + sql_identifier(table.name) + " ORDER BY " + order;
}

json column_value(const SqlStatement& stmt, int index, const Column& column) {
  if (stmt.is_null(index)) return nullptr;
  if (column.integer) return stmt.int64(index);
  return stmt.text(index);
}

// Bytes a row holds that are not UTF-8 (written by an older version or by a direct edit of
// the SQLite file) are written as U+FFFD: the export never stops at one row, and it imports
// into PostgreSQL, whose text refuses such bytes.
void write_line(std::ostream& out, const json& line) {
  out << to_json_text(line) << '\n';
  if (!out) throw StoreError("cannot write the export stream");
}

std::vector<std::string> column_names(const Table& table) {
  std::vector<std::string> names;
  for (const auto& column : table.columns) names.push_back(column.name);
  return names;
}

std::int64_t count_rows(SqlDatabase& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  stmt.step();
  return stmt.int64(0);
}

const SeededRows* seeded_rows(std::string_view table) {
  for (const auto& seeded : kSeededRows) {
    if (table == seeded.table) return &seeded;
  }
  return nullptr;
}

// Refuses a destination holding anything but seeded rows, then deletes those.
void require_empty(SqlDatabase& db, const std::vector<Table>& tables) {
  std::string found;
  for (const auto& table : tables) {
    if (table.name == kMigrationsTable) continue;
    const auto* seeded = seeded_rows(table.name);
    const auto rows =
        count_rows(db, "SELECT COUNT(*) FROM " + sql_identifier(table.name) +
                           (seeded ? " WHERE NOT (" + std::string(seeded->condition) + ")" : ""));
    if (rows > 0) found += (found.empty() ? "" : ", ") + table.name + ": " + std::to_string(rows);
  }
  if (!found.empty()) {
    throw StoreError(db.description() + " is not empty (" + found +
                     "); import needs a freshly migrated database");
  }
  for (const auto& seeded : kSeededRows) {
    if (has_table(tables, seeded.table)) {
      db.exec("DELETE FROM " + sql_identifier(seeded.table) + " WHERE " + seeded.condition);
    }
  }
}

// Moves the table's id generator to at least `highest`, so new rows get ids above it.
void advance_sequence(SqlDatabase& db, const Table& table, std::int64_t highest) {
  const auto largest = count_rows(db, "SELECT COALESCE(MAX(" + sql_identifier(*table.id_column) +
                                          "), 0) FROM " + sql_identifier(table.name));
  highest = std::max(highest, largest);
  if (is_postgres(db)) {
    // setval(..., false) for an empty table: the next id is 1, as in a fresh database.
    auto stmt =
        db.prepare(highest > 0 ? "SELECT setval(pg_get_serial_sequence(:table, :column), :value)"
                               : "SELECT setval(pg_get_serial_sequence(:table, :column), 1, "
                                 "false)");
    stmt.bind(":table", sql_identifier(table.name)).bind(":column", *table.id_column);
    if (highest > 0) stmt.bind(":value", highest);
    stmt.run();
    return;
  }
  if (highest == 0) return;
  db.prepare("UPDATE sqlite_sequence SET seq = :seq WHERE name = :table")
      .bind(":seq", highest)
      .bind(":table", table.name)
      .run();
  if (db.changes() == 0) {
    db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)")
        .bind(":seq", highest)
        .bind(":table", table.name)
        .run();
  }
}

// Reads the export stream line by line and inserts its rows into the destination tables.
class Importer {
 public:
  Importer(SqlDatabase& db, std::vector<Table> tables) : db_(db), tables_(std::move(tables)) {}

  void line(const json& line) {
    if (finished_) fail("data after the end line");
    if (line.contains("row")) {
      insert_row(line.at("table").get<std::string>(), line.at("row"));
    } else if (line.contains("columns")) {
      begin_table(line);
    } else if (line.contains("end")) {
      finish(line.at("end"));
    } else {
      fail("neither a table, a row nor the end line");
    }
  }

  TransferSummary summary(int schema_version) const {
    if (!finished_) {
      throw StoreError("the export stream is truncated: it has no end line (line " +
                       std::to_string(line_number_) + " was the last)");
    }
    TransferSummary summary{.schema_version = schema_version};
    for (const auto& [table, rows] : rows_) {
      ++summary.tables;
      summary.rows += rows;
    }
    return summary;
  }

  void set_line_number(int number) { line_number_ = number; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw StoreError("export line " + std::to_string(line_number_) + ": " + what);
  }

  void begin_table(const json& line) {
    const auto name = line.at("table").get<std::string>();
    const auto it = std::find_if(tables_.begin(), tables_.end(),
                                 [&](const Table& table) { return table.name == name; });
    if (it == tables_.end() || name == kMigrationsTable) {
      fail("table " + name + " is not in the destination's schema");
    }
    if (rows_.contains(name)) fail("table " + name + " appears twice");
    auto columns = line.at("columns").get<std::vector<std::string>>();
    auto expected = column_names(*it);
    std::sort(columns.begin(), columns.end());
    std::sort(expected.begin(), expected.end());
    if (columns != expected) fail("the columns of " + name + " differ from the destination's");
    current_ = &*it;
    rows_[name] = 0;
    if (line.contains("id_sequence") && line.at("id_sequence").is_number_integer()) {
      sequences_[name] = line.at("id_sequence").get<std::int64_t>();
    }
    std::string names;
    std::string values;
    for (std::size_t i = 0; i < it->columns.size(); ++i) {
      names += (i ? ", " : "") + sql_identifier(it->columns[i].name);
      values += (i ? ", :p" : ":p") + std::to_string(i);
    }
    insert_sql_ =
        "INSERT INTO " + sql_identifier(name) + " (" + names + ") VALUES (" + values + ")";
  }

  void insert_row(const std::string& table, const json& row) {
    if (current_ == nullptr || current_->name != table) {
      fail("a row of " + table + " outside its table's section");
    }
    if (!row.is_object() || row.size() != current_->columns.size()) {
      fail("a row of " + table + " without exactly its table's columns");
    }
    auto stmt = db_.prepare(insert_sql_);
    for (std::size_t i = 0; i < current_->columns.size(); ++i) {
      const auto& column = current_->columns[i];
      const auto parameter = ":p" + std::to_string(i);
      const auto it = row.find(column.name);
      if (it == row.end()) fail("a row of " + table + " has no " + column.name);
      if (it->is_null()) {
        stmt.bind(parameter.c_str(), std::nullopt);
      } else if (column.integer && it->is_number_integer()) {
        stmt.bind(parameter.c_str(), it->get<std::int64_t>());
      } else if (!column.integer && it->is_string()) {
        stmt.bind(parameter.c_str(), it->get<std::string>());
      } else {
        fail(table + "." + column.name + " holds a " + it->type_name() + ", not " +
             (column.integer ? "an integer" : "text"));
      }
    }
    stmt.run();
    ++rows_[table];
  }

  void finish(const json& end) {
    const auto& counts = end.at("tables");
    for (const auto& table : tables_) {
      if (table.name == kMigrationsTable) continue;
      if (!rows_.contains(table.name)) fail("the export has no table " + table.name);
      if (!counts.contains(table.name) || counts.at(table.name) != rows_.at(table.name)) {
        fail("table " + table.name + ": " + std::to_string(rows_.at(table.name)) +
             " rows read, the end line counts otherwise");
      }
      if (table.id_column) advance_sequence(db_, table, sequences_[table.name]);
    }
    finished_ = true;
  }

  SqlDatabase& db_;
  const std::vector<Table> tables_;
  const Table* current_ = nullptr;
  std::string insert_sql_;
  std::map<std::string, std::int64_t> rows_;
  std::map<std::string, std::int64_t> sequences_;
  int line_number_ = 0;
  bool finished_ = false;
};

json parse_line(const std::string& text, int line_number) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // The parser's own message quotes the text it read, which may be anything.
    throw StoreError("export line " + std::to_string(line_number) + " is not JSON (byte " +
                     std::to_string(e.byte) + ")");
  }
}

int header_schema_version(const json& header) {
  if (!header.is_object() || header.value("format", "") != kFormat) {
    throw StoreError("not a Callsight export: the first line is no callsight-export header");
  }
  if (header.value("format_version", 0) != kFormatVersion) {
    throw StoreError("unsupported export format_version (this Callsight reads " +
                     std::to_string(kFormatVersion) + ")");
  }
  return header.at("schema_version").get<int>();
}

}  // namespace

std::unique_ptr<SqlDatabase> open_sql_database(const std::string& location, int pool_size) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://")) {
    return std::make_unique<PgDatabase>(location, pool_size);
  }
  return std::make_unique<SqliteDatabase>(location, pool_size);
}

TransferSummary export_database(SqlDatabase& db, std::ostream& out) {
  SqlTransaction tx(db, TxMode::read);
  const auto tables = tables_in_key_order(db);
  TransferSummary summary{.schema_version = schema_version(db, tables)};
  write_line(out, {{"format", kFormat},
                   {"format_version", kFormatVersion},
                   {"schema_version", summary.schema_version},
                   {"source", db.dialect().name}});
  json counts = json::object();
  for (const auto& table : tables) {
    if (table.name == kMigrationsTable) continue;
    json header = {{"table", table.name},
                   {"columns", column_names(table)},
                   {"id_column", table.id_column ? json(*table.id_column) : json()},
                   {"id_sequence", table.id_column ? json(id_sequence(db, table)) : json()}};
    write_line(out, header);
    std::int64_t rows = 0;
    auto stmt = db.prepare(select_all(table));
    while (stmt.step()) {
      json row = json::object();
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        row[table.columns[i].name] = column_value(stmt, static_cast<int>(i), table.columns[i]);
      }
      write_line(out, {{"table", table.name}, {"row", std::move(row)}});
      ++rows;
    }
    counts[table.name] = rows;
    ++summary.tables;
    summary.rows += rows;
  }
  write_line(out, {{"end", {{"tables", counts}}}});
  out.flush();
  if (!out) throw StoreError("cannot write the export stream");
  tx.commit();
  return summary;
}

TransferSummary import_database(SqlDatabase& db, std::istream& in) {
  std::string text;
  int line_number = 0;
  std::optional<json> header;
  while (!header && std::getline(in, text)) {
    ++line_number;
    if (!text.empty()) header = parse_line(text, line_number);
  }
  if (!header) throw StoreError("the export stream is empty");
  const int version = header_schema_version(*header);

  SqlTransaction tx(db, TxMode::write);
  auto tables = tables_in_key_order(db);
  const int destination_version = schema_version(db, tables);
  if (destination_version != version) {
    throw StoreError("the export has schema version " + std::to_string(version) + ", " +
                     db.description() + " has " + std::to_string(destination_version) +
                     "; migrate both to the same version first (`callsight migrate`)");
  }
  require_empty(db, tables);
  const bool counts_cdrs = has_table(tables, "cdr_counts");

  Importer importer(db, std::move(tables));
  while (std::getline(in, text)) {
    importer.set_line_number(++line_number);
    if (text.empty()) continue;
    try {
      importer.line(parse_line(text, line_number));
    } catch (const json::exception& e) {
      throw StoreError("export line " + std::to_string(line_number) + ": " + e.what());
    }
  }
  if (in.bad()) throw StoreError("cannot read the export stream");
  const auto summary = importer.summary(version);
  // Counts kept beside the records are derived here, not taken from the stream, which an
  // edited export (or one cut to a subset) would make wrong.
  if (counts_cdrs) recount_cdrs(db);
  tx.commit();
  return summary;
}

}  // namespace callsight
