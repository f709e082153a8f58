#pragma once

namespace callsight {

// The callbacks part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class CallbackStore {
 public:
  virtual ~CallbackStore() = default;
};

}  // namespace callsight
