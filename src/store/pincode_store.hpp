#pragma once

#include <optional>

#include "core/pincode.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

struct PincodeFilter {
  std::optional<Id> pincode_id;
  std::optional<Id> customer_id;
  std::optional<Id> cdr_id;  // the PINs issued for this call (variant B)
};

// The pincodes part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class PincodeStore {
 public:
  virtual ~PincodeStore() = default;

  // Stores `pincode` (its pincode, id and created are filled here) with a PIN from `draw`
  // that no live (unexpired) PIN of the same customer has, drawing again on a collision.
  // NotFoundError when the customer is not the partner's; ConflictError("no_free_pincode",
  // "pincode_length") when kPincodeMaxDraws draws all collided.
  virtual Pincode create_pincode(Id partner_id, const Pincode& pincode,
                                 const PincodeDraw& draw) = 0;
  // Newest first.
  virtual Page<Pincode> list_pincodes(Id partner_id, const PincodeFilter& filter,
                                      PageRequest page) = 0;
};

}  // namespace callsight
