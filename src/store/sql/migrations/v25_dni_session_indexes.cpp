#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Two fewer index entries written per new session (bench/README.md, "Number requests: one
// wake per member, two fewer B-trees"): a new visitor's hand-out wrote nine B-trees, and each
// dirty page is a WAL frame written and fsynced with its batch.
// - dni_sessions_by_last_seen served only the retention purge, which finds the same sessions
//   through dni_sessions_by_pool: a session is created before it is last seen (last_seen_at
//   only grows from created_at), so "last seen before the cutoff" is "created before it and
//   last seen before it". A session kept alive no longer moves an index entry either.
// - A session without consent (one page view, most of them) has no visitor: the visitor's
//   index keeps only the sessions that have one, which is all that erasure and the purge
//   look up by it ("visitor_id = ..." never matches NULL).
const Migration kMigration25 = {25, R"sql(
DROP INDEX dni_sessions_by_last_seen;
DROP INDEX dni_sessions_by_visitor;
CREATE INDEX dni_sessions_by_visitor ON dni_sessions(visitor_id) WHERE visitor_id IS NOT NULL;
)sql"};

}  // namespace callsight
