'use strict';
// A typical Node peer for bench/run (bench/README.md, "API speed against peers"): Express 4
// and better-sqlite3 answering the partner-API requests callsightd is compared on, with the
// same credentials and the same durability, written the way such a service usually is (one
// process, synchronous SQLite calls on the event loop, prepared statements made once).
//
//   node server.js --db DB [--listen 127.0.0.1:0]
//
// It logs "express peer listening on http://HOST:PORT" once it accepts connections.
//
// What it does per request, as callsightd does:
// - HTTP Basic: the partner's row is read by username (callsightd reads it on every request
//   too), the password checked against the stored "pbkdf2-sha256$iterations$salt$hash" with
//   PBKDF2-HMAC-SHA256, and a successful login remembered for 60 s under an HMAC of the stored
//   hash and the password (src/http/auth.cpp), so a changed password never hits the cache;
//   then the partner's IP allow-list.
// - SQLite in WAL mode with synchronous=FULL and foreign keys on: every acknowledged write
//   has been fsynced.
const crypto = require('node:crypto');
const net = require('node:net');
const express = require('express');
const Database = require('better-sqlite3');

const LOGIN_CACHE_MS = 60 * 1000;
const MAX_CACHED_LOGINS = 10000;
const CUSTNR_MAX_LENGTH = 45;
const NAME_MAX_LENGTH = 60;
const REALM = 'Callsight API';

function parseArgs(argv) {
  const args = { db: null, listen: '127.0.0.1:0' };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--db') args.db = argv[i + 1];
    else if (argv[i] === '--listen') args.listen = argv[i + 1];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.db) throw new Error('usage: node server.js --db DB [--listen HOST:PORT]');
  return args;
}

function openDatabase(path) {
  const db = new Database(path, { fileMustExist: true });
  if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') {
    throw new Error('the database does not run in WAL mode');
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

// ---- errors, in callsightd's shape ---------------------------------------------------------

function fail(res, status, code, field, message) {
  res.status(status).json({ errors: [{ code, field, message }] });
}

function challenge(res) {
  res.set('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
  fail(res, 401, 'unauthorized', null, 'authentication required');
}

// ---- Basic authentication --------------------------------------------------------------------

function parseHash(stored) {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== 'pbkdf2-sha256') return null;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10000000) return null;
  return { iterations, salt: Buffer.from(parts[2], 'hex'), hash: Buffer.from(parts[3], 'hex') };
}

function verifyPassword(stored, password, done) {
  const parsed = parseHash(stored);
  if (!parsed) return done(false);
  crypto.pbkdf2(password, parsed.salt, parsed.iterations, parsed.hash.length, 'sha256',
    (err, key) => done(!err && crypto.timingSafeEqual(key, parsed.hash)));
}

function allowList(cidrs) {
  const list = new net.BlockList();
  for (const cidr of cidrs.split(',').filter(Boolean)) {
    const [address, bits] = cidr.split('/');
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    list.addSubnet(address, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
  }
  return list;
}

function isAllowed(list, remote) {
  if (net.isIPv4(remote)) return list.check(remote, 'ipv4');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped && list.check(mapped[1], 'ipv4')) return true;
  return list.check(remote, 'ipv6');
}

function basicAuth(db) {
  const findPartner = db.prepare(
    'SELECT id, name, username, password_hash, allowed_cidrs, country FROM partners ' +
    'WHERE username = ?');
  const cacheKey = crypto.randomBytes(32);
  const logins = new Map(); // username -> { tag, expires }
  const allowLists = new Map(); // allowed_cidrs text -> net.BlockList
  const unknownUserHash =
    `pbkdf2-sha256$100000$${crypto.randomBytes(16).toString('hex')}$${'0'.repeat(64)}`;

  const loginTag = (stored, password) =>
    crypto.createHmac('sha256', cacheKey).update(stored).update('\0').update(password).digest();

  return (req, res, next) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get('authorization') || '');
    if (!match) return challenge(res);
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return challenge(res);
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);

    const partner = findPartner.get(username);
    if (!partner) return verifyPassword(unknownUserHash, password, () => challenge(res));

    const admit = () => {
      let list = allowLists.get(partner.allowed_cidrs);
      if (!list) allowLists.set(partner.allowed_cidrs, (list = allowList(partner.allowed_cidrs)));
      if (!isAllowed(list, req.socket.remoteAddress)) {
        return fail(res, 403, 'ip_not_allowed', null,
          `requests from ${req.socket.remoteAddress} are not allowed for this account`);
      }
      req.partner = partner;
      return next();
    };
    const tag = loginTag(partner.password_hash, password);
    const cached = logins.get(username);
    if (cached && cached.expires > Date.now() && crypto.timingSafeEqual(cached.tag, tag)) {
      return admit();
    }
    return verifyPassword(partner.password_hash, password, (ok) => {
      if (!ok) return challenge(res);
      if (logins.size >= MAX_CACHED_LOGINS) logins.clear();
      logins.set(username, { tag, expires: Date.now() + LOGIN_CACHE_MS });
      return admit();
    });
  };
}

// ---- resources ----------------------------------------------------------------------------

function utcNow() {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}

const str = (v) => (v === null || v === undefined ? null : String(v));

function renderCustomer(c) {
  const out = {
    customer_id: String(c.id),
    name: c.name,
    custnr: c.custnr,
    corporateid: c.corporateid,
    email: c.email,
    uuid: c.uuid,
    dncs_class_name: c.dncs_class_name,
    receive_monthly_report: String(c.receive_monthly_report),
    freespee_caller_id: String(c.freespee_caller_id),
    whisper: String(c.whisper),
  };
  for (let i = 1; i <= 20; i++) out[`custom_${i}`] = c[`custom_${i}`] ?? null;
  out.created = c.created;
  out.modified = c.modified;
  return out;
}

function renderSource(s) {
  return {
    source_id: String(s.id),
    name: s.name,
    email: s.email,
    smsnumber: s.smsnumber,
    media: s.media,
    customer_id: String(s.customer_id),
    phonenr: s.phonenr,
    destnr: s.destnr,
    timestamp: s.timestamp,
    expire: s.expire,
    created: s.created,
    modified: s.modified,
    class: String(s.class),
    status: s.status,
    vm_greeting_id: str(s.vm_greeting_id),
    campaign_id: str(s.campaign_id),
    publisher_id: str(s.publisher_id),
    notify_on_missed_call: String(s.notify_on_missed_call),
    notify_on_new_voicemail: String(s.notify_on_new_voicemail),
    vm_divert_all: String(s.vm_divert_all),
    vm_divert_busy: String(s.vm_divert_busy),
    vm_divert_noanswer: String(s.vm_divert_noanswer),
    alt_numbers: JSON.parse(s.alt_numbers),
  };
}

function routes(app, db) {
  const findSource = db.prepare('SELECT * FROM sources WHERE id = ? AND partner_id = ?');
  const insertCustomer = db.prepare(
    'INSERT INTO customers (partner_id, name, custnr, corporateid, email, uuid, ' +
    'dncs_class_name, receive_monthly_report, freespee_caller_id, whisper, created, modified) ' +
    "VALUES (@partner_id, @name, @custnr, '', '', @uuid, '', 0, 0, 0, @created, @modified)");

  app.get('/miscellaneous/ping', (req, res) => {
    res.json({ ping: 'ok' });
  });

  app.get('/sources', (req, res) => {
    const id = req.query.source_id;
    if (typeof id !== 'string' || !/^[1-9][0-9]{0,17}$/.test(id)) {
      return fail(res, 400, 'invalid', 'source_id', "'source_id' must be a positive integer");
    }
    const source = findSource.get(id, req.partner.id);
    if (!source) return fail(res, 404, 'not_found', 'source_id', 'no such source');
    return res.json({ sources: [renderSource(source)], total: '1', page: '0', pagesize: '1000',
      numpages: '1' });
  });

  app.post('/customers', (req, res) => {
    const body = req.body || {};
    for (const [field, max] of [['name', NAME_MAX_LENGTH], ['custnr', CUSTNR_MAX_LENGTH]]) {
      if (typeof body[field] !== 'string' || body[field] === '') {
        return fail(res, 400, 'missing', field, `'${field}' is required`);
      }
      if (body[field].length > max) {
        return fail(res, 400, 'too_long', field, `'${field}' is longer than ${max} characters`);
      }
    }
    const now = utcNow();
    const customer = {
      partner_id: req.partner.id, name: body.name, custnr: body.custnr, corporateid: '',
      email: '', uuid: crypto.randomUUID(), dncs_class_name: '', receive_monthly_report: 0,
      freespee_caller_id: 0, whisper: 0, created: now, modified: now,
    };
    try {
      // One autocommit transaction: WAL with synchronous=FULL fsyncs it before run() returns.
      customer.id = insertCustomer.run(customer).lastInsertRowid;
    } catch (err) {
      if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        return fail(res, 409, 'duplicate', 'custnr', 'a customer with this custnr already exists');
      }
      throw err;
    }
    return res.json({ customers: [renderCustomer(customer)] });
  });
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const db = openDatabase(args.db);
  const app = express();
  // callsightd sends neither; an ETag would also hash every body.
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(basicAuth(db));
  app.use(express.urlencoded({ extended: false }));
  routes(app, db);
  app.use((req, res) => fail(res, 404, 'not_found', null, 'no such resource'));
  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    console.error(err);
    fail(res, 500, 'internal', null, 'internal error');
  });

  const colon = args.listen.lastIndexOf(':');
  const host = args.listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const server = app.listen(Number(args.listen.slice(colon + 1)), host,
    () => {
      const { address, port } = server.address();
      console.log(`express peer listening on http://${address}:${port}`);
    });
  const stop = () => {
    server.close(() => { db.close(); process.exit(0); });
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
