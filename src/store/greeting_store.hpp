#pragma once

namespace callsight {

// The greetings part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class GreetingStore {
 public:
  virtual ~GreetingStore() = default;
};

}  // namespace callsight
