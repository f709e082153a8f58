// The wire form of a customer, written straight into the body by api::write_customer: these
// bytes are what the ordered_json rendering it replaced wrote (and what partners parse), so a
// change to the field order, a name, a null or an escape fails here.
#include <gtest/gtest.h>

#include <string>

#include "api/customers.hpp"
#include "api/json_writer.hpp"

namespace callsight::api {
namespace {

Customer customer_with_every_field() {
  Customer c;
  c.id = 41;
  c.partner_id = 3;
  c.name = "Kund \"A\" \\ Malmö 📞";
  c.custnr = "K-17";
  c.corporateid = "556677-8899";
  c.email = "a@example.com";
  c.uuid = "0b7e4a4e-5a51-4c1b-9e3c-2f0d8c1e9a10";
  c.dncs_class_name = "premium\tads";
  c.receive_monthly_report = 2;
  c.freespee_caller_id = 1;
  c.whisper = 0;
  c.custom[0] = "Friedrichstraße 1";
  c.custom[4] = "Frau";
  c.custom[19] = "";
  c.created = "2026-01-01 10:00:00";
  c.modified = "2026-01-02 11:00:00";
  return c;
}

std::string written(const Customer& c) {
  JsonWriter writer;
  write_customer(writer, c);
  return writer.take();
}

std::string nulls(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += "\"custom_" + std::to_string(i) + "\":null,";
  return out;
}

TEST(CustomerRender, WritesEveryFieldInTheReferencesOrder) {
  EXPECT_EQ(written(customer_with_every_field()),
            R"({"customer_id":"41","name":"Kund \"A\" \\ Malmö 📞","custnr":"K-17",)"
            R"("corporateid":"556677-8899","email":"a@example.com",)"
            R"("uuid":"0b7e4a4e-5a51-4c1b-9e3c-2f0d8c1e9a10","dncs_class_name":"premium\tads",)"
            R"("receive_monthly_report":"2","freespee_caller_id":"1","whisper":"0",)"
            R"("custom_1":"Friedrichstraße 1",)" +
                nulls(2, 4) + R"("custom_5":"Frau",)" + nulls(6, 19) +
                R"("custom_20":"","created":"2026-01-01 10:00:00",)"
                R"("modified":"2026-01-02 11:00:00"})");
}

// A stored name that is not UTF-8 (an import, an old row) shows U+FFFD, as the JSON dump did,
// and control characters are escaped: the body stays valid JSON.
TEST(CustomerRender, WritesStoredTextThatIsNotUtf8AsReplacementCharacters) {
  auto c = customer_with_every_field();
  c.custom[1] = "Malm\xf6\n";
  const auto text = written(c);
  EXPECT_NE(text.find(R"("custom_2":"Malm)"
                      "\xef\xbf\xbd"
                      R"(\n",)"),
            std::string::npos)
      << text;
  EXPECT_EQ(Json::parse(text)["custom_2"], "Malm\xef\xbf\xbd\n");
}

TEST(CustomerRender, AListCarriesItsTotalsAfterTheObjects) {
  const Customer customers[] = {customer_with_every_field(), customer_with_every_field()};
  const auto response = render_objects("customers", std::span<const Customer>(customers),
                                       ListTotals{.total = 45, .page = {.page = 2, .pagesize = 20}},
                                       700, write_customer);
  const auto body = Json::parse(response.body);
  ASSERT_EQ(body["customers"].size(), 2u);
  EXPECT_EQ(body["customers"][1]["custnr"], "K-17");
  EXPECT_EQ(response.body.substr(response.body.find("]")),
            R"(],"total":"45","page":"2","pagesize":"20","numpages":"3"})");
}

}  // namespace
}  // namespace callsight::api
