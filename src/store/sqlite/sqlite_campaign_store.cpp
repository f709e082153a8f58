#include "store/sqlite/sqlite_campaign_store.hpp"

namespace callsight {

const char kCampaignSchemaSql[] = R"sql(
CREATE TABLE campaign_placeholder (id INTEGER PRIMARY KEY);
)sql";

}  // namespace callsight
