#pragma once

namespace callsight {

// The blacklists part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class BlacklistStore {
 public:
  virtual ~BlacklistStore() = default;
};

}  // namespace callsight
