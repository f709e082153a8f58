#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/dni_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

// What attribution reads, in the caller's transaction: SqlDniStore runs them in their own,
// the call record store in the one that records the call (sql_dni_visits.cpp).
std::optional<DniNumberHistory> read_number_history(SqlDatabase& db, const std::string& number,
                                                    TimePoint at);
std::optional<DniSession> find_session_row(SqlDatabase& db, Id partner_id,
                                           const std::string& session_id);

// Pools and their numbers in sql_dni_store.cpp; visits, allocation and what reads them back in
// sql_dni_visits.cpp.
class SqlDniStore final : public DniStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  DniPool create_pool(const Source& source, const DniPoolSettings& settings,
                      const NumberRequest& numbers = {}, int count = 0,
                      const std::function<void(ChangeLookups&)>& check_references = {}) override;
  std::optional<DniPool> find_pool(Id partner_id, Id pool_id) override;
  std::vector<DniPool> list_pools(Id partner_id, Id customer_id) override;
  std::optional<DniPool> change_pool(Id partner_id, Id pool_id,
                                     const Change<DniPool>& change) override;
  std::vector<DniPoolNumber> add_pool_numbers(Id partner_id, Id pool_id,
                                              const NumberRequest& request, int count) override;
  DniPoolNumber remove_pool_number(Id partner_id, Id pool_id, const std::string& number) override;

  std::optional<DniSite> find_site(const std::string& customer_uuid) override;
  DniNumberAnswer request_number(const DniNumberRequest& request) override;
  void request_number_then(const DniNumberRequest& request,
                           Later<DniNumberAnswer> answered) override;
  bool heartbeat(Id partner_id, Id pool_id, const std::string& session_id) override;
  void heartbeat_then(Id partner_id, Id pool_id, const std::string& session_id,
                      Later<bool> answered) override;
  bool release(Id partner_id, Id pool_id, const std::string& session_id) override;
  std::optional<DniSession> find_session(Id partner_id, const std::string& session_id) override;
  std::optional<DniNumberHistory> number_history(const std::string& number, TimePoint at) override;
  bool remember_signature(Id partner_id, const std::string& signature,
                          TimePoint expires_at) override;
  std::size_t purge_expired_visits(const RowFailureHandler& on_failure) override;
  Erased erase_visit_data(Id partner_id, const std::optional<std::string>& visitor_id,
                          const std::optional<std::string>& session_id) override;
  DniPoolUsage pool_usage(Id partner_id, Id pool_id, TimePoint from, TimePoint to) override;

  // A pool number as the allocation reads it: its state for dni::pick_number, its digits and
  // its stored free_at (migration v19).
  struct PickRow {
    dni::PoolNumberState state;
    std::string number;
    TimePoint stored_free_at;
  };

 private:
  // The helpers below run inside a transaction their caller holds.
  std::optional<DniPool> find_pool_locked(Id partner_id, Id pool_id);
  std::optional<DniPoolSettings> settings_of(Id partner_id, Id pool_id);
  void require_pool(Id partner_id, Id pool_id);
  void write_settings_changes(Id pool_id, const DniPoolSettings& before,
                              const DniPoolSettings& after);
  void make_only_default(Id customer_id, Id pool_id);
  std::vector<DniPoolNumber> numbers_of(Id pool_id);
  std::vector<DniPoolNumber> take_free_numbers(Id partner_id, Id pool_id,
                                               const NumberRequest& request, int count);
  DniPoolNumber add_pool_number(Id pool_id, const std::string& number);
  // Allocation, in sql_dni_visits.cpp.
  struct ServingPool {
    Id customer_id = 0;
    dni::PoolTiming timing;
    std::string fallback_number;
    int partner_number_cap = 0;
  };
  ServingPool serving_pool(Id partner_id, Id pool_id, TimePoint now);
  DniNumberAnswer hand_out(const DniNumberRequest& request);
  std::size_t numbers_leased_by_partner(Id partner_id, TimePoint now);
  std::size_t purge_partner_visits(Id partner_id, TimePoint cutoff);
  std::string ensure_visitor(const DniNumberRequest& request, Id customer_id, TimePoint now);
  std::string ensure_session(const DniNumberRequest& request, Id customer_id,
                             const std::optional<std::string>& visitor_id, TimePoint now);
  struct Kept {
    Id assignment_id = 0;
    std::string number;
  };
  std::optional<Kept> keep_leased_number(Id partner_id, Id pool_id, const std::string& session_id,
                                         TimePoint now);
  struct Picked {
    dni::Allocation allocation;
    std::string number;  // the number assigned
  };
  Picked pick_for_session(const DniNumberRequest& request, const ServingPool& pool,
                          const std::string& session_id, TimePoint now);
  std::optional<PickRow> free_number(Id pool_id, const dni::PoolTiming& timing, TimePoint now);
  void store_free_at(Id pool_number_id, TimePoint free_at);
  std::size_t partner_pool_numbers(Id partner_id);
  Id write_assignment(const DniNumberRequest& request, const std::string& session_id,
                      const dni::PoolTiming& timing, std::optional<Id> pool_number_id,
                      const std::string& number, TimePoint now);
};

}  // namespace callsight
