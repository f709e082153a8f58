#include "store/sql/migrations/migration.hpp"

namespace callsight {

// webhook_events is the outbox: written in the transaction of the change that caused the
// event, read by replay (GET /events) and by the dispatcher through webhook_deliveries, one
// row per event and subscription. Instants the dispatcher compares are INTEGER unix seconds.
//
// A partner or customer going takes its subscriptions and events along. Deleting a
// subscription takes its deliveries but keeps the events (replay still shows them).
// consecutive_failures counts failed attempts across a subscription's deliveries since its
// last success; `failing` is set at kFailingAfter. UNIQUE (cdr_id, sequence) is the last
// guard of the per-call order (see sql_outbox.hpp).
const Migration kMigration12 = {12, R"sql(
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  format TEXT NOT NULL,
  template_text TEXT,
  secret TEXT NOT NULL,
  failing INTEGER NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  created TEXT NOT NULL,
  modified TEXT NOT NULL
);
CREATE INDEX webhooks_by_partner ON webhooks(partner_id, id);
CREATE INDEX webhooks_by_customer ON webhooks(customer_id);
CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  cdr_id INTEGER REFERENCES cdrs(id) ON DELETE CASCADE,
  source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
  sequence INTEGER NOT NULL,
  payload TEXT NOT NULL,
  created INTEGER NOT NULL,
  UNIQUE (cdr_id, sequence)
);
CREATE INDEX webhook_events_by_partner ON webhook_events(partner_id, id);
CREATE INDEX webhook_events_by_customer ON webhook_events(customer_id);
CREATE INDEX webhook_events_by_source ON webhook_events(source_id);
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt INTEGER NOT NULL,
  last_status INTEGER,
  last_latency_ms INTEGER,
  last_error TEXT NOT NULL,
  delivered_at INTEGER,
  created INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt, id);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);
)sql"};

}  // namespace callsight
