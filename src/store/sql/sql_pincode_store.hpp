#pragma once

#include "store/pincode_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlPincodeStore final : public PincodeStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Pincode create_pincode(Id partner_id, const Pincode& pincode, const PincodeDraw& draw) override;
  Page<Pincode> list_pincodes(Id partner_id, const PincodeFilter& filter,
                              PageRequest page) override;
};

}  // namespace callsight
