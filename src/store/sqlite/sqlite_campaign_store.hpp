#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/campaign_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// Its schema, applied as migration 3 (see migrations.cpp).
extern const char kCampaignSchemaSql[];

// Shares SqliteStore's connection and mutex: every method locks the mutex for its whole
// transaction, like SqliteStore's own methods.
class SqliteCampaignStore final : public CampaignStore {
 public:
  SqliteCampaignStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

  Campaign create_campaign(Id partner_id, const Campaign& campaign) override;
  std::optional<Campaign> find_campaign(Id partner_id, Id customer_id, Id campaign_id) override;
  Page<Campaign> list_campaigns(Id partner_id, Id customer_id, PageRequest page) override;
  Campaign update_campaign(Id partner_id, const Campaign& campaign) override;
  Campaign delete_campaign(Id partner_id, Id customer_id, Id campaign_id) override;

 private:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  // The helpers below run inside a transaction their caller holds, under mutex_.
  std::optional<Campaign> find_locked(Id partner_id, Id customer_id, Id campaign_id);
  void fill_source_ids(Campaign& campaign);
  void check_partner_key_free(const Campaign& campaign);

  SqliteConnection& db_;
  std::mutex& mutex_;
  const Clock& clock_;
};

}  // namespace callsight
