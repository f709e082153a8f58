#pragma once

#include "store/campaign_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

// Any partner's campaign by id (source_ids left empty), inside the caller's transaction.
std::optional<Campaign> find_campaign_row(SqlDatabase& db, Id campaign_id);

class SqlCampaignStore final : public CampaignStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Campaign create_campaign(
      Id partner_id, const Campaign& campaign,
      const std::function<void(Campaign&, ChangeLookups&)>& complete = {}) override;
  std::optional<Campaign> find_campaign(Id partner_id, Id customer_id, Id campaign_id) override;
  Page<Campaign> list_campaigns(Id partner_id, Id customer_id, PageRequest page) override;
  Campaign update_campaign(Id partner_id, const Campaign& campaign) override;
  std::optional<Campaign> change_campaign(Id partner_id, Id customer_id, Id campaign_id,
                                          const Change<Campaign>& change) override;
  Campaign delete_campaign(Id partner_id, Id customer_id, Id campaign_id) override;

 private:
  // The helpers below run inside a transaction their caller holds.
  std::optional<Campaign> find_locked(Id partner_id, Id customer_id, Id campaign_id);
  void fill_source_ids(Campaign& campaign);
  void check_partner_key_free(const Campaign& campaign);
};

}  // namespace callsight
