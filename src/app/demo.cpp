#include "app/demo.hpp"

#include <spdlog/spdlog.h>

#include "app/partner_admin.hpp"
#include "store/number_store.hpp"
#include "store/partner_store.hpp"

namespace callsight::app {
namespace {

constexpr const char* kDemoUser = "demo";
// Stockholm (08) numbers of one block, for trying the API; not for real traffic.
constexpr const char* kDemoNumbers = "+46852000000-+46852000099";

}  // namespace

std::string ensure_demo(Store& store, const std::string& server_address,
                        const std::optional<std::string>& switch_address) {
  if (!store.partners().find_partner_by_username(kDemoUser)) {
    add_partner(store, PartnerSpec{"Demo partner",
                                   kDemoUser,
                                   "demo",
                                   {"127.0.0.1/32", "::1/128"},
                                   "SE",
                                   "Europe/Stockholm",
                                   60});
    spdlog::info("demo: created partner '{}'", kDemoUser);
  }
  const auto added =
      store.numbers().add_numbers(expand_number_ranges({kDemoNumbers}), std::nullopt);
  if (!added.added.empty()) spdlog::info("demo: added {} tracking numbers", added.added.size());

  const std::string base = "http://" + server_address;
  const std::string curl = "  curl --digest -u demo:demo ";
  std::string text =
      "\nCallsight demo is ready: partner 'demo', password 'demo' (from 127.0.0.1 and ::1).\n"
      "Try the Freespee walk-through:\n\n" +
      curl + base + "/miscellaneous/ping\n" + curl + "-d name=DailyLoans -d custnr=1412 " + base +
      "/customers\n" + curl +
      "-d customer_id=<customer_id> -d name=AdWords -d media=Google.com -d phonenr=0890510 " +
      base + "/sources\n" + curl + "'" + base + "/numbers?state=free'\n";
  if (switch_address) {
    text +=
        "\nPlay a call to the source's tracking number (destnr) and read its record (the\n"
        "switch secret is CALLSIGHT_SWITCH_SECRET as given to callsightd, 'demo' if unset):\n\n"
        "  CALLSIGHT_SWITCH_SECRET=demo build/bin/callsight simulate-call --switch http://" +
        *switch_address + " --from 0701234567 --to <destnr>\n" + curl + base + "/statistics/cdrs\n";
  }
  return text + "\n";
}

}  // namespace callsight::app
