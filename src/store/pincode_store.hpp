#pragma once

namespace callsight {

// The pincodes part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class PincodeStore {
 public:
  virtual ~PincodeStore() = default;
};

}  // namespace callsight
