#pragma once

#include "store/pincode_store.hpp"
#include "store/sqlite/sqlite_sub_store.hpp"

namespace callsight {

// Its schema, applied as migration 8 (see migrations.cpp).
extern const char kPincodeSchemaSql[];

class SqlitePincodeStore final : public PincodeStore, private SqliteSubStore {
 public:
  using SqliteSubStore::SqliteSubStore;

  Pincode create_pincode(Id partner_id, const Pincode& pincode, const PincodeDraw& draw) override;
  Page<Pincode> list_pincodes(Id partner_id, const PincodeFilter& filter,
                              PageRequest page) override;
};

}  // namespace callsight
