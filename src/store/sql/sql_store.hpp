#pragma once

#include <functional>
#include <memory>
#include <string>

#include "store/sql/sql_blacklist_store.hpp"
#include "store/sql/sql_call_record_store.hpp"
#include "store/sql/sql_callback_store.hpp"
#include "store/sql/sql_campaign_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store/sql/sql_greeting_store.hpp"
#include "store/sql/sql_order_store.hpp"
#include "store/sql/sql_pincode_store.hpp"
#include "store/sql/sql_webhook_store.hpp"
#include "store/store.hpp"

namespace callsight {

// The Store in SQL, one implementation for every backend (SQLite, PostgreSQL): each method
// is one transaction on the database; TxMode says how it keeps concurrent writers apart,
// within this process and across processes and nodes.
class SqlStore final : public Store {
 public:
  // Applies migrations before it returns.
  SqlStore(std::unique_ptr<SqlDatabase> database, const Clock& clock);

  std::string description() const override;
  StoreHealth check_health() override;
  DatabasePoolStats pool_stats() const override;
  std::string shared_secret(std::string_view name) override;

  Partner create_partner(const Partner& partner) override;
  std::optional<Partner> find_partner(Id partner_id) override;
  std::optional<Partner> find_partner_by_username(std::string_view username) override;
  std::vector<Partner> list_partners() override;
  void update_partner(const Partner& partner) override;
  void remove_partner(Id partner_id) override;

  Customer create_customer(const Customer& customer) override;
  std::optional<Customer> find_customer(Id partner_id, Id customer_id) override;
  Page<Customer> list_customers(Id partner_id, const CustomerFilter& filter,
                                PageRequest page) override;
  Customer update_customer(const Customer& customer) override;
  std::optional<Customer> change_customer(Id partner_id, Id customer_id,
                                          const Change<Customer>& change) override;
  Customer delete_customer(Id partner_id, Id customer_id) override;

  User create_user(Id partner_id, const User& user) override;
  std::optional<User> find_user(Id partner_id, Id user_id) override;
  Page<User> list_users(Id partner_id, const UserFilter& filter, PageRequest page) override;
  User update_user(Id partner_id, const User& user) override;
  std::optional<User> change_user(Id partner_id, Id user_id, const Change<User>& change) override;
  User delete_user(Id partner_id, Id user_id) override;

  AddNumbersResult add_numbers(const std::vector<std::string>& numbers,
                               std::optional<Id> restricted_to_partner) override;
  std::vector<InventoryNumber> list_numbers(std::optional<NumberState> state,
                                            std::optional<Id> visible_to_partner) override;
  void remove_number(const std::string& number) override;

  Source create_source(const Source& source, const NumberRequest& number,
                       const std::function<void(ChangeLookups&)>& check_references = {}) override;
  std::optional<Source> find_source(Id partner_id, Id source_id) override;
  Page<Source> list_sources(Id partner_id, const SourceFilter& filter, PageRequest page) override;
  Source update_source(const Source& source) override;
  std::optional<Source> change_source(Id partner_id, Id source_id,
                                      const Change<Source>& change) override;
  int sweep_sources(const RowFailureHandler& on_failure = {}) override;
  std::optional<Source> find_source_holding(const std::string& tracking_number) override;

  CampaignStore& campaigns() override { return *campaigns_; }
  GreetingStore& greetings() override { return *greetings_; }
  BlacklistStore& blacklists() override { return *blacklists_; }
  OrderStore& orders() override { return *orders_; }
  CallbackStore& callbacks() override { return *callbacks_; }
  PincodeStore& pincodes() override { return *pincodes_; }
  CallRecordStore& calls() override { return *calls_; }
  WebhookStore& webhooks() override { return *webhooks_; }

 private:
  using Mode = TxMode;

  // The helpers below run inside a transaction their caller holds.
  std::optional<Partner> partner_where(const std::string& sql,
                                       const std::function<void(SqlStatement&)>& bind);
  void write_cidrs(Id partner_id, const std::vector<std::string>& cidrs);
  void check_username_free(const std::string& username, Id except_partner);
  std::optional<Customer> find_customer_locked(Id partner_id, Id customer_id);
  void check_custnr_free(const Customer& customer);
  std::optional<User> find_user_locked(Id partner_id, Id user_id);
  void check_email_free(const std::string& email, Id except_user);
  std::optional<std::string> pick_free_number(Id partner_id, const NumberRequest& request);
  std::optional<std::string> first_free_number(const std::string& sql, Id partner_id,
                                               const NumberRequest& request);
  std::optional<Source> find_source_locked(Id partner_id, Id source_id);
  std::vector<AltNumberRule> alt_numbers_of(Id source_id);
  void write_source_changes(const Source& before, const Source& after);
  void write_alt_numbers(Id source_id, const std::vector<AltNumberRule>& rules,
                         const std::vector<AltNumberRule>& existing);
  SourceStatus status_of(Id source_id);
  void write_source_event(const Source& source, std::string_view type, SourceStatus status);
  std::vector<Id> sources_to_sweep();
  bool sweep_source(Id source_id);
  bool holds_its_number(Id source_id);

  std::unique_ptr<SqlDatabase> database_;
  SqlDatabase& db_;
  const Clock& clock_;
  int schema_version_ = 0;
  std::unique_ptr<SqlCampaignStore> campaigns_;
  std::unique_ptr<SqlGreetingStore> greetings_;
  std::unique_ptr<SqlBlacklistStore> blacklists_;
  std::unique_ptr<SqlOrderStore> orders_;
  std::unique_ptr<SqlCallbackStore> callbacks_;
  std::unique_ptr<SqlPincodeStore> pincodes_;
  std::unique_ptr<SqlCallRecordStore> calls_;
  std::unique_ptr<SqlWebhookStore> webhooks_;
};

}  // namespace callsight
