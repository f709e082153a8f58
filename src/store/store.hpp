#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/source.hpp"
#include "core/types.hpp"

namespace callsight {

class CampaignStore;
class GreetingStore;
class BlacklistStore;
class OrderStore;
class CallbackStore;
class PincodeStore;
class CallRecordStore;
class WebhookStore;

struct PageRequest {
  int page = 0;  // zero-based
  int pagesize = 1000;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;  // matching rows over all pages
};

// How a platform job that works row by row (the sweep, webhook claims) hears of a row it
// could not process: the row is left for a later run and the job goes on with the others.
// `row_id` is the row's id in the job's own table (sources, webhook_deliveries).
using RowFailureHandler = std::function<void(Id row_id, const std::exception& error)>;

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A uniqueness or state rule refused the write; nothing was written.
class ConflictError : public StoreError {
 public:
  ConflictError(std::string code, std::string field, const std::string& message)
      : StoreError(message), code_(std::move(code)), field_(std::move(field)) {}
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  std::string code_;
  std::string field_;
};

// The object does not exist, or belongs to another partner (the two are not told apart).
class NotFoundError : public StoreError {
 public:
  using StoreError::StoreError;
};

struct CustomerFilter {
  std::optional<Id> customer_id;
  std::optional<std::string> custnr;
};

struct UserFilter {
  std::optional<Id> user_id;
  std::optional<Id> customer_id;
};

struct SourceFilter {
  std::optional<Id> source_id;
  std::optional<Id> customer_id;
  std::optional<std::string> custnr;
  std::optional<std::string> tracking_number;
  std::optional<Id> campaign_id;
  std::optional<SourceStatus> status;  // derived status at the store clock's now
  std::optional<int> source_class;
};

// Which tracking number a new source wants; both empty means any suitable free number.
struct NumberRequest {
  std::optional<std::string> tracking_number;  // exactly this free number (wire "destnr")
  std::optional<std::string> prefix;           // an E.164 prefix, e.g. "+468" (wire "ndc")
};

struct AddNumbersResult {
  std::vector<std::string> added;
  std::vector<std::string> duplicates;  // already in the inventory; left as they were
};

// Whether the store can serve (GET /readyz).
struct StoreHealth {
  bool ready = true;
  std::string reason;  // when not ready, for clients: short, without hosts or secrets
  std::string detail;  // when not ready, for the log: what the database said
};

// How this process uses its database connections (GET /metrics).
struct DatabasePoolStats {
  int size = 0;                // connections the pool may open
  int open = 0;                // opened so far
  int in_use = 0;              // held by a transaction now
  std::uint64_t waits = 0;     // transactions that found no free connection and waited
  double wait_seconds = 0;     // time they spent waiting, in total
  std::uint64_t timeouts = 0;  // transactions that gave up waiting
  // Durable commits that write transactions shared (group_commit.hpp), and the write
  // transactions committed through them.
  std::uint64_t group_commits = 0;
  std::uint64_t group_committed_transactions = 0;
};

// What a change may look up while the store applies it: reads in the change's own write
// transaction, so what they found still holds when the change is written.
class ChangeLookups {
 public:
  virtual ~ChangeLookups() = default;
  virtual bool has_customer(Id partner_id, Id customer_id) = 0;
  virtual bool has_campaign(Id partner_id, Id customer_id, Id campaign_id) = 0;
  // The customer's own greeting or a system greeting.
  virtual bool has_greeting(Id partner_id, Id customer_id, Id greeting_id) = 0;
};

// A change to one stored object, which the store applies in one write transaction: it reads
// the object, hands it to the change, and writes only the fields the change altered (and
// `modified`). The change applies the rules to the object as stored then: it edits it and
// returns true, returns false to leave it untouched, or throws to refuse, and nothing is
// written. So two concurrent changes of different fields both land, and a change never
// brings back an object that was deleted meanwhile.
template <class T>
using Change = std::function<bool(T& object, ChangeLookups& lookups)>;

// Every method is one transaction: it either happens whole or throws and writes nothing.
// Objects of one partner are only ever reachable with that partner's id.
class Store {
 public:
  virtual ~Store() = default;

  // e.g. "SQLite ./callsight.db (schema version 1)", for the startup log.
  virtual std::string description() const = 0;

  // Runs a trivial query and compares the schema version with the one this binary expects.
  // Never throws.
  virtual StoreHealth check_health() = 0;
  virtual DatabasePoolStats pool_stats() const = 0;

  // A random secret (64 hex digits) that every node on this database shares, made on first
  // use and kept: e.g. the key Digest nonces are signed with, so any node accepts them.
  virtual std::string shared_secret(std::string_view name) = 0;

  // Partners. create_partner throws ConflictError("duplicate", "username").
  virtual Partner create_partner(const Partner& partner) = 0;
  virtual std::optional<Partner> find_partner(Id partner_id) = 0;
  virtual std::optional<Partner> find_partner_by_username(std::string_view username) = 0;
  virtual std::vector<Partner> list_partners() = 0;
  virtual void update_partner(const Partner& partner) = 0;  // NotFoundError
  // Refuses (ConflictError "has_customers") while the partner still has customers.
  virtual void remove_partner(Id partner_id) = 0;

  // Customers. create/update throw ConflictError("duplicate", "custnr").
  virtual Customer create_customer(const Customer& customer) = 0;
  virtual std::optional<Customer> find_customer(Id partner_id, Id customer_id) = 0;
  virtual Page<Customer> list_customers(Id partner_id, const CustomerFilter& filter,
                                        PageRequest page) = 0;
  virtual Customer update_customer(const Customer& customer) = 0;  // NotFoundError
  // nullopt when the customer is not the partner's; ConflictError as update_customer.
  virtual std::optional<Customer> change_customer(Id partner_id, Id customer_id,
                                                  const Change<Customer>& change) = 0;
  // Deletes the customer and its users. Refuses with ConflictError("has_live_sources",
  // "customer_id") while the customer has sources that are not archived.
  virtual Customer delete_customer(Id partner_id, Id customer_id) = 0;

  // Users, reachable through their customer's partner. Email is unique platform-wide
  // (it is a login): ConflictError("duplicate", "email").
  virtual User create_user(Id partner_id, const User& user) = 0;  // NotFoundError: customer
  virtual std::optional<User> find_user(Id partner_id, Id user_id) = 0;
  virtual Page<User> list_users(Id partner_id, const UserFilter& filter, PageRequest page) = 0;
  virtual User update_user(Id partner_id, const User& user) = 0;  // NotFoundError
  // nullopt when the user is not the partner's; customer_id never changes. ConflictError as
  // create_user.
  virtual std::optional<User> change_user(Id partner_id, Id user_id,
                                          const Change<User>& change) = 0;
  virtual User delete_user(Id partner_id, Id user_id) = 0;  // NotFoundError

  // Number inventory. A number's state is derived from the source holding it.
  // restricted_to_partner: only that partner's customers may be allocated the number.
  virtual AddNumbersResult add_numbers(const std::vector<std::string>& numbers,
                                       std::optional<Id> restricted_to_partner) = 0;
  // visible_to_partner: only numbers that partner could be allocated or already holds.
  virtual std::vector<InventoryNumber> list_numbers(std::optional<NumberState> state,
                                                    std::optional<Id> visible_to_partner) = 0;
  // NotFoundError when absent; ConflictError("allocated", "number") while a source holds it.
  virtual void remove_number(const std::string& number) = 0;

  // Sources. create_source allocates a tracking number and creates the source in one
  // transaction, so two concurrent creates never get the same number; it fills
  // tracking_number, id, created, modified and alt_key of each rule. With no suitable
  // free number: ConflictError("no_free_number", "destnr") and nothing is written.
  // NotFoundError when the customer is not the partner's.
  // `check_references`, when given, runs in that transaction once the customer was found and
  // before a number is picked; what it looks up cannot be deleted until the source is
  // written. It may throw to refuse, and then nothing is written.
  virtual Source create_source(
      const Source& source, const NumberRequest& number,
      const std::function<void(ChangeLookups&)>& check_references = {}) = 0;
  virtual std::optional<Source> find_source(Id partner_id, Id source_id) = 0;
  virtual Page<Source> list_sources(Id partner_id, const SourceFilter& filter,
                                    PageRequest page) = 0;
  // Writes every field (lifecycle and alt_numbers included; rules without alt_key get one);
  // tracking_number, customer_id and partner_id never change. NotFoundError.
  virtual Source update_source(const Source& source) = 0;
  // nullopt when the source is not the partner's. Otherwise as update_source: the same
  // fields never change, and a change that would bring back an archived source whose number
  // was released is refused with ConflictError("archived", "source_id").
  virtual std::optional<Source> change_source(Id partner_id, Id source_id,
                                              const Change<Source>& change) = 0;
  // Applies the transitions that have side effects, each source in a transaction of its own:
  // a status change since the last announced one writes source.status_changed, and a source
  // whose derived status is now archived gets archived_at and releases its number. A source
  // that fails is handed to `on_failure` and left for the next sweep (without a handler its
  // error is thrown). Returns how many were archived.
  virtual int sweep_sources(const RowFailureHandler& on_failure = {}) = 0;
  // For the switch, across partners: the source that holds this tracking number now
  // (reserved, upcoming, active or quarantined), nullopt when none does.
  virtual std::optional<Source> find_source_holding(const std::string& tracking_number) = 0;

  // Sub-stores, one per resource family, each declared in its own header under store/.
  virtual CampaignStore& campaigns() = 0;
  virtual GreetingStore& greetings() = 0;
  virtual BlacklistStore& blacklists() = 0;
  virtual OrderStore& orders() = 0;
  virtual CallbackStore& callbacks() = 0;
  virtual PincodeStore& pincodes() = 0;
  virtual CallRecordStore& calls() = 0;
  virtual WebhookStore& webhooks() = 0;
};

struct StoreOptions {
  int pool_size = 8;  // PostgreSQL connections, or SQLite reader connections, per process
};

// Opens the store a --db value names: a postgresql:// (or postgres://) URL means PostgreSQL,
// anything else an SQLite file path (created when absent). Migrations are applied before it
// returns; several processes may open one database at once.
std::unique_ptr<Store> open_store(const std::string& location, const Clock& clock,
                                  const StoreOptions& options = {});

}  // namespace callsight
