// The /customers resource (reference §2.2).
#include "api/customers.hpp"

#include <array>
#include <string>
#include <vector>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/random.hpp"
#include "store/customer_store.hpp"

namespace callsight::api {
namespace {

constexpr std::size_t kCustomFieldMaxLength = 255;

// Reference §3.1: the Bundesnetzagentur makes these custom fields mandatory in Germany.
struct GermanRequiredField {
  int index;  // custom_<index>
  std::size_t max_length;
};
constexpr std::array<GermanRequiredField, 6> kGermanRequiredFields = {
    {{1, 40}, {2, 10}, {3, 5}, {4, 40}, {5, 5}, {6, 60}}};

std::string custom_name(int index) { return "custom_" + std::to_string(index); }

const std::vector<std::string>& custom_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int i = 1; i <= kCustomFieldCount; ++i) v.push_back(custom_name(i));
    return v;
  }();
  return names;
}

// One customer, or a page of them, written straight into the body: building 34 ordered_json
// fields per customer (each custom field found by a linear search of the object) was a tenth of
// POST /customers' CPU (bench/README.md, "Customers written without a JSON tree").
http::Response render_customers(std::span<const Customer> customers,
                                std::optional<ListTotals> totals = std::nullopt) {
  return render_objects("customers", customers, totals, 700, write_customer);
}

http::Response render_customer(const Customer& customer) {
  return render_customers({&customer, 1});
}

// For German partners custom_1..custom_6 are mandatory (on PUT: may not be emptied) and
// have their own limits; the other custom fields follow the generic rule.
std::optional<std::size_t> german_limit(const Partner& partner, int index) {
  if (partner.country != "DE") return std::nullopt;
  for (const auto& rule : kGermanRequiredFields) {
    if (rule.index == index) return rule.max_length;
  }
  return std::nullopt;
}

void apply_custom_field(Fields& fields, const Partner& partner, Presence presence, int index,
                        Customer& customer) {
  const auto name = custom_name(index);
  std::optional<std::string> value;
  if (const auto limit = german_limit(partner, index)) {
    value = fields.non_empty_text(name, *limit, presence);
    if (index == 5 && value && *value != "Firma" && *value != "Herr" && *value != "Frau") {
      fields.add_error("invalid", name, "'custom_5' must be Firma, Herr or Frau");
    }
  } else {
    value = fields.text(name, kCustomFieldMaxLength);
  }
  if (value) customer.custom[index - 1] = value->empty() ? std::nullopt : value;
}

// Applies the given parameters to `customer`; presence says whether POST's mandatory
// fields must be there.
void apply_fields(Fields& fields, const Partner& partner, Presence presence, Customer& customer) {
  if (auto v = fields.text("name", 60, presence)) customer.name = *v;
  if (auto v = fields.text("custnr", kCustnrMaxLength, presence)) customer.custnr = *v;
  if (auto v = fields.email("email", 150)) customer.email = *v;
  if (auto v = fields.text("corporateid", 40)) customer.corporateid = *v;
  if (auto v = fields.text("dncs_class_name", 60)) customer.dncs_class_name = *v;
  if (auto v = fields.choice("receive_monthly_report", {0, 1, 2})) {
    customer.receive_monthly_report = *v;
  }
  if (auto v = fields.choice("freespee_caller_id", {0, 1})) customer.freespee_caller_id = *v;
  if (auto v = fields.choice("whisper", {0, 1})) customer.whisper = *v;
  for (int i = 1; i <= kCustomFieldCount; ++i) {
    apply_custom_field(fields, partner, presence, i, customer);
  }
}

http::Response get_customers(Context& ctx) {
  Fields fields(ctx.params);
  CustomerFilter filter;
  filter.customer_id = fields.id("customer_id");
  filter.custnr = fields.text("custnr", kCustnrMaxLength);
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (filter.customer_id &&
      !ctx.store.customers().find_customer(ctx.partner.id, *filter.customer_id)) {
    throw_not_found("customer_id", "customer");
  }
  const auto result = ctx.store.customers().list_customers(ctx.partner.id, filter, page);
  return render_customers(result.items, ListTotals{result.total, page});
}

const std::initializer_list<std::string_view> kWritableCustomerFields = {"name",
                                                                         "custnr",
                                                                         "email",
                                                                         "corporateid",
                                                                         "dncs_class_name",
                                                                         "receive_monthly_report",
                                                                         "freespee_caller_id",
                                                                         "whisper"};

http::Response post_customer(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kWritableCustomerFields, custom_names());
  Customer customer;
  customer.partner_id = ctx.partner.id;
  customer.uuid = time_ordered_uuid();
  apply_fields(fields, ctx.partner, Presence::required, customer);
  fields.throw_if_errors();
  const LaterAnswer answer;
  if (!answer) return render_customer(ctx.store.customers().create_customer(customer));
  ctx.store.customers().create_customer_then(
      customer, [answer](std::optional<Customer> created, const std::exception_ptr& error) {
        answer([&] {
          if (error) std::rethrow_exception(error);
          return render_customer(*created);
        });
      });
  return {};
}

Customer existing_customer(Context& ctx) {
  const Id id = required_id(ctx.params, "customer_id");
  auto customer = ctx.store.customers().find_customer(ctx.partner.id, id);
  if (!customer) throw_not_found("customer_id", "customer");
  return *customer;
}

http::Response put_customer(Context& ctx) {
  const Id id = required_id(ctx.params, "customer_id");
  const auto changed =
      ctx.store.customers().change_customer(ctx.partner.id, id, [&](Customer& customer, auto&) {
        Fields fields(ctx.params);
        auto known = custom_names();
        known.emplace_back("customer_id");
        fields.allow_only(kWritableCustomerFields, known);
        apply_fields(fields, ctx.partner, Presence::optional, customer);
        fields.throw_if_errors();
        return true;
      });
  if (!changed) throw_not_found("customer_id", "customer");
  return render_customer(*changed);
}

http::Response delete_customer(Context& ctx) {
  const auto customer = existing_customer(ctx);
  return render_customer(ctx.store.customers().delete_customer(ctx.partner.id, customer.id));
}

}  // namespace

void write_customer(JsonWriter& out, const Customer& customer) {
  out.begin();
  out.number("customer_id", customer.id);
  out.text("name", customer.name);
  out.text("custnr", customer.custnr);
  out.text("corporateid", customer.corporateid);
  out.text("email", customer.email);
  out.text("uuid", customer.uuid);
  out.text("dncs_class_name", customer.dncs_class_name);
  out.number("receive_monthly_report", customer.receive_monthly_report);
  out.number("freespee_caller_id", customer.freespee_caller_id);
  out.number("whisper", customer.whisper);
  for (int i = 0; i < kCustomFieldCount; ++i) {
    const auto index = static_cast<std::size_t>(i);
    out.text_or_null(custom_names()[index], customer.custom[index]);
  }
  out.text("created", customer.created);
  out.text("modified", customer.modified);
  out.end();
}

Customer require_own_customer(const Context& ctx, Id customer_id) {
  auto customer = ctx.store.customers().find_customer(ctx.partner.id, customer_id);
  if (!customer) throw_not_found("customer_id", "customer");
  return *customer;
}

void register_customers(ApiRouter& router) {
  router.add("POST", "/customers", {post_customer, /*answers_later=*/true});
  for (const auto* pattern : {"/customers", "/customers/{customer_id}"}) {
    router.add("GET", pattern, get_customers);
    router.add("PUT", pattern, put_customer);
    router.add("DELETE", pattern, delete_customer);
  }
}

}  // namespace callsight::api
