#include "store/sql/migrations/migration.hpp"

namespace callsight {

const Migration kMigration1 = {1, R"sql(
CREATE TABLE partners (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  digest_ha1_md5 TEXT NOT NULL,
  digest_ha1_sha256 TEXT NOT NULL,
  country TEXT NOT NULL,
  timezone TEXT NOT NULL,
  quarantine_days INTEGER NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE partner_cidrs (
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  cidr TEXT NOT NULL,
  PRIMARY KEY (partner_id, position)
) WITHOUT ROWID;
CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id),
  name TEXT NOT NULL,
  custnr TEXT NOT NULL,
  corporateid TEXT NOT NULL,
  email TEXT NOT NULL,
  uuid TEXT NOT NULL,
  dncs_class_name TEXT NOT NULL,
  custom_1 TEXT, custom_2 TEXT, custom_3 TEXT, custom_4 TEXT, custom_5 TEXT,
  custom_6 TEXT, custom_7 TEXT, custom_8 TEXT, custom_9 TEXT, custom_10 TEXT,
  custom_11 TEXT, custom_12 TEXT, custom_13 TEXT, custom_14 TEXT, custom_15 TEXT,
  custom_16 TEXT, custom_17 TEXT, custom_18 TEXT, custom_19 TEXT, custom_20 TEXT,
  receive_monthly_report INTEGER NOT NULL,
  freespee_caller_id INTEGER NOT NULL,
  whisper INTEGER NOT NULL,
  created TEXT NOT NULL,
  modified TEXT NOT NULL,
  UNIQUE (partner_id, custnr)
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  write_access INTEGER NOT NULL,
  receive_monthly_report INTEGER NOT NULL,
  token TEXT,
  created TEXT NOT NULL,
  modified TEXT NOT NULL
);
CREATE INDEX users_by_customer ON users(customer_id);
)sql"};

}  // namespace callsight
