#pragma once

#include <memory>
#include <string>

#include "store/sql/sql_blacklist_store.hpp"
#include "store/sql/sql_call_record_store.hpp"
#include "store/sql/sql_callback_store.hpp"
#include "store/sql/sql_campaign_store.hpp"
#include "store/sql/sql_customer_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store/sql/sql_dni_store.hpp"
#include "store/sql/sql_greeting_store.hpp"
#include "store/sql/sql_mail_store.hpp"
#include "store/sql/sql_number_store.hpp"
#include "store/sql/sql_order_store.hpp"
#include "store/sql/sql_partner_store.hpp"
#include "store/sql/sql_pincode_store.hpp"
#include "store/sql/sql_recording_store.hpp"
#include "store/sql/sql_source_store.hpp"
#include "store/sql/sql_user_store.hpp"
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
  bool reads_wait() const override { return db_.dialect().reads_wait; }
  std::string shared_secret(std::string_view name) override;

  PartnerStore& partners() override { return *partners_; }
  CustomerStore& customers() override { return *customers_; }
  UserStore& users() override { return *users_; }
  NumberStore& numbers() override { return *numbers_; }
  SourceStore& sources() override { return *sources_; }
  CampaignStore& campaigns() override { return *campaigns_; }
  GreetingStore& greetings() override { return *greetings_; }
  BlacklistStore& blacklists() override { return *blacklists_; }
  OrderStore& orders() override { return *orders_; }
  CallbackStore& callbacks() override { return *callbacks_; }
  PincodeStore& pincodes() override { return *pincodes_; }
  CallRecordStore& calls() override { return *calls_; }
  WebhookStore& webhooks() override { return *webhooks_; }
  RecordingStore& recordings() override { return *recordings_; }
  DniStore& dni() override { return *dni_; }
  MailStore& mail() override { return *mail_; }

 private:
  using Mode = TxMode;

  std::unique_ptr<SqlDatabase> database_;
  SqlDatabase& db_;
  const Clock& clock_;
  int schema_version_ = 0;
  std::unique_ptr<SqlPartnerStore> partners_;
  std::unique_ptr<SqlCustomerStore> customers_;
  std::unique_ptr<SqlUserStore> users_;
  std::unique_ptr<SqlNumberStore> numbers_;
  std::unique_ptr<SqlSourceStore> sources_;
  std::unique_ptr<SqlCampaignStore> campaigns_;
  std::unique_ptr<SqlGreetingStore> greetings_;
  std::unique_ptr<SqlBlacklistStore> blacklists_;
  std::unique_ptr<SqlOrderStore> orders_;
  std::unique_ptr<SqlCallbackStore> callbacks_;
  std::unique_ptr<SqlPincodeStore> pincodes_;
  std::unique_ptr<SqlCallRecordStore> calls_;
  std::unique_ptr<SqlWebhookStore> webhooks_;
  std::unique_ptr<SqlRecordingStore> recordings_;
  std::unique_ptr<SqlDniStore> dni_;
  std::unique_ptr<SqlMailStore> mail_;
};

}  // namespace callsight
