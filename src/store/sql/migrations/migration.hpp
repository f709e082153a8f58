#pragma once

#include <array>

// The schema migrations, one file per version in this folder (vNN_<what>.cpp). Each is frozen
// once released: existing databases were migrated by exactly this text, and a fresh database
// must end up with the same schema (tests/unit/sql_schema_test.cpp compares it with a
// snapshot). A change to the schema is a new version in a new file, appended to kMigrations.
// Text is SQLite's dialect; PgDatabase::ddl() translates it (docs/storage.md). Lifecycle
// instants are INTEGER unix seconds so the status rules can compare them in SQL; created and
// modified are the wire text the API shows.

namespace callsight {

struct Migration {
  int version;
  const char* sql;
};

extern const Migration kMigration1;
extern const Migration kMigration2;
extern const Migration kMigration3;
extern const Migration kMigration4;
extern const Migration kMigration5;
extern const Migration kMigration6;
extern const Migration kMigration7;
extern const Migration kMigration8;
extern const Migration kMigration9;
extern const Migration kMigration10;
extern const Migration kMigration11;
extern const Migration kMigration12;
extern const Migration kMigration13;
extern const Migration kMigration14;
extern const Migration kMigration15;
extern const Migration kMigration16;
extern const Migration kMigration17;
extern const Migration kMigration18;
extern const Migration kMigration19;
extern const Migration kMigration20;
extern const Migration kMigration21;
extern const Migration kMigration22;
extern const Migration kMigration23;
extern const Migration kMigration24;
extern const Migration kMigration25;
extern const Migration kMigration26;

// Every version, oldest first.
inline constexpr std::array<const Migration*, 26> kMigrations = {
    &kMigration1,  &kMigration2,  &kMigration3,  &kMigration4,  &kMigration5,  &kMigration6,
    &kMigration7,  &kMigration8,  &kMigration9,  &kMigration10, &kMigration11, &kMigration12,
    &kMigration13, &kMigration14, &kMigration15, &kMigration16, &kMigration17, &kMigration18,
    &kMigration19, &kMigration20, &kMigration21, &kMigration22, &kMigration23, &kMigration24,
    &kMigration25, &kMigration26,
};

}  // namespace callsight
