'use strict';
// Creates the peer's database and fills it with the rows bench/run gives it (bench/README.md,
// "API speed against peers"): the partner with the same username and the same stored PBKDF2
// hash as callsightd's, its IP allow-list, callsightd's customers and its sources as
// callsightd renders them, under the same ids.
//
//   node seed.js DB SEED.json
//
// SEED.json: {"partners": [row], "partner_cidrs": [row], "customers": [row], "sources": [object]}
// where a row is a line of `callsight export` and an object an item of GET /sources.
const fs = require('node:fs');
const Database = require('better-sqlite3');

const SCHEMA = `
CREATE TABLE partners (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  allowed_cidrs TEXT NOT NULL,
  country TEXT NOT NULL,
  created TEXT NOT NULL
);
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
CREATE TABLE sources (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  name TEXT NOT NULL,
  email TEXT,
  smsnumber TEXT,
  media TEXT NOT NULL,
  phonenr TEXT NOT NULL,
  destnr TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  expire TEXT,
  created TEXT NOT NULL,
  modified TEXT NOT NULL,
  class INTEGER NOT NULL,
  status TEXT NOT NULL,
  vm_greeting_id INTEGER,
  campaign_id INTEGER,
  publisher_id INTEGER,
  notify_on_missed_call INTEGER NOT NULL,
  notify_on_new_voicemail INTEGER NOT NULL,
  vm_divert_all INTEGER NOT NULL,
  vm_divert_busy INTEGER NOT NULL,
  vm_divert_noanswer INTEGER NOT NULL,
  alt_numbers TEXT NOT NULL
);
CREATE INDEX sources_by_partner ON sources(partner_id);
`;

const CUSTOMER_COLUMNS = ['id', 'partner_id', 'name', 'custnr', 'corporateid', 'email', 'uuid',
  'dncs_class_name', ...Array.from({ length: 20 }, (_, i) => `custom_${i + 1}`),
  'receive_monthly_report', 'freespee_caller_id', 'whisper', 'created', 'modified'];

function main() {
  const [dbPath, seedPath] = process.argv.slice(2);
  if (!dbPath || !seedPath) {
    console.error('usage: node seed.js DB SEED.json');
    process.exit(2);
  }
  const seed = JSON.parse(fs.readFileSync(seedPath, 'utf8'));
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);

  const cidrs = new Map();
  for (const row of seed.partner_cidrs) {
    if (!cidrs.has(row.partner_id)) cidrs.set(row.partner_id, []);
    cidrs.get(row.partner_id)[row.position] = row.cidr;
  }
  const insertPartner = db.prepare(
    'INSERT INTO partners (id, name, username, password_hash, allowed_cidrs, country, created) ' +
    'VALUES (@id, @name, @username, @password_hash, @allowed_cidrs, @country, @created)');
  const insertCustomer = db.prepare(
    `INSERT INTO customers (${CUSTOMER_COLUMNS.join(', ')}) ` +
    `VALUES (${CUSTOMER_COLUMNS.map((c) => '@' + c).join(', ')})`);
  const insertSource = db.prepare(
    'INSERT INTO sources (id, partner_id, customer_id, name, email, smsnumber, media, phonenr, ' +
    'destnr, timestamp, expire, created, modified, class, status, vm_greeting_id, campaign_id, ' +
    'publisher_id, notify_on_missed_call, notify_on_new_voicemail, vm_divert_all, ' +
    'vm_divert_busy, vm_divert_noanswer, alt_numbers) VALUES (@source_id, @partner_id, ' +
    '@customer_id, @name, @email, @smsnumber, @media, @phonenr, @destnr, @timestamp, @expire, ' +
    '@created, @modified, @class, @status, @vm_greeting_id, @campaign_id, @publisher_id, ' +
    '@notify_on_missed_call, @notify_on_new_voicemail, @vm_divert_all, @vm_divert_busy, ' +
    '@vm_divert_noanswer, @alt_numbers)');

  db.transaction(() => {
    for (const p of seed.partners) {
      insertPartner.run({ ...p, allowed_cidrs: (cidrs.get(p.id) || []).join(',') });
    }
    for (const c of seed.customers) {
      insertCustomer.run(Object.fromEntries(CUSTOMER_COLUMNS.map((k) => [k, c[k]])));
    }
    for (const s of seed.sources) {
      insertSource.run({ ...s, alt_numbers: JSON.stringify(s.alt_numbers) });
    }
  })();
  db.close();
}

main();
