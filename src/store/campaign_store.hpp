#pragma once

#include <functional>
#include <optional>

#include "core/campaign.hpp"
#include "store/store.hpp"

namespace callsight {

// The campaigns part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects. Campaigns come back with source_ids filled.
class CampaignStore {
 public:
  virtual ~CampaignStore() = default;

  // NotFoundError when the customer is not the partner's; ConflictError("duplicate",
  // "partner_campaign_id") when the customer has a campaign with that key already.
  // `complete`, when given, fills in the new campaign's fields (not its customer) in that
  // transaction, before anything else is checked; what it looks up cannot be deleted until
  // the campaign is written. It may throw to refuse, and then nothing is written.
  virtual Campaign create_campaign(
      Id partner_id, const Campaign& campaign,
      const std::function<void(Campaign&, ChangeLookups&)>& complete = {}) = 0;
  virtual std::optional<Campaign> find_campaign(Id partner_id, Id customer_id, Id campaign_id) = 0;
  // The customer's campaigns by id; empty when the customer is not the partner's.
  virtual Page<Campaign> list_campaigns(Id partner_id, Id customer_id, PageRequest page) = 0;
  // Writes every field but id, customer_id and created. NotFoundError; ConflictError as
  // create_campaign.
  virtual Campaign update_campaign(Id partner_id, const Campaign& campaign) = 0;
  // nullopt when the campaign is not the customer's or the customer not the partner's;
  // ConflictError as create_campaign. id, customer_id and created never change.
  virtual std::optional<Campaign> change_campaign(Id partner_id, Id customer_id, Id campaign_id,
                                                  const Change<Campaign>& change) = 0;
  // Refuses with ConflictError("has_live_sources", "campaign_id") while sources that are
  // not archived belong to it; archived sources lose their campaign_id. NotFoundError.
  virtual Campaign delete_campaign(Id partner_id, Id customer_id, Id campaign_id) = 0;
};

}  // namespace callsight
