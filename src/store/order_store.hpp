#pragma once

namespace callsight {

// The orders part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class OrderStore {
 public:
  virtual ~OrderStore() = default;
};

}  // namespace callsight
