#pragma once

namespace callsight {

// The campaigns part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class CampaignStore {
 public:
  virtual ~CampaignStore() = default;
};

}  // namespace callsight
