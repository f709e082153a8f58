// A change (store.hpp) is read, ruled and written in one write transaction: two changes of
// different fields of one object that run at once both land, and a change that races a
// deletion never brings the object back. Each test runs the two sides through stores of
// their own (two connections, as two server processes would), many rounds.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/source_lifecycle.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/greeting_store.hpp"
#include "store/number_store.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"
#include "store/user_store.hpp"
#include "store/webhook_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

constexpr int kRounds = 40;

class SqlChangeTest : public SqlStoreFixture {
 protected:
  SqlChangeTest()
      : partner_(make_partner("acme")),
        customer_(make_customer(partner_, "K-1")),
        second_(open_store(database_.location(), clock_)) {
    store_->numbers().add_numbers({"+46101"}, std::nullopt);
  }

  // Runs both at once, each on a store of its own, released together.
  void at_once(const std::function<void(Store&)>& first,
               const std::function<void(Store&)>& second) {
    std::latch start(2);
    std::thread other([&] {
      start.arrive_and_wait();
      second(*second_);
    });
    start.arrive_and_wait();
    first(*store_);
    other.join();
  }

  // A change that edits the object it read, then takes its time before it is written: a
  // store that wrote what it read outside one transaction would lose the other side's edit.
  template <class T>
  static Change<T> slowly(std::function<void(T&)> edit) {
    return [edit = std::move(edit)](T& object, ChangeLookups&) {
      edit(object);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      return true;
    };
  }

  Id partner_;
  Id customer_;
  std::unique_ptr<Store> second_;
};

TEST_F(SqlChangeTest, ConcurrentChangesOfDifferentSourceFieldsBothLand) {
  const auto source = make_source(partner_, customer_, "+46101");
  for (int round = 0; round < kRounds; ++round) {
    const auto name = "name-" + std::to_string(round);
    const auto media = "media-" + std::to_string(round);
    at_once(
        [&](Store& store) {
          store.sources().change_source(partner_, source.id,
                                        slowly<Source>([&](Source& s) { s.name = name; }));
        },
        [&](Store& store) {
          store.sources().change_source(partner_, source.id,
                                        slowly<Source>([&](Source& s) { s.media = media; }));
        });
    const auto stored = store_->sources().find_source(partner_, source.id);
    ASSERT_EQ(stored->name, name) << "round " << round;
    ASSERT_EQ(stored->media, media) << "round " << round;
  }
}

TEST_F(SqlChangeTest, ConcurrentChangesOfDifferentCustomerFieldsBothLand) {
  for (int round = 0; round < kRounds; ++round) {
    const auto name = "name-" + std::to_string(round);
    const auto email = "c" + std::to_string(round) + "@example.com";
    at_once(
        [&](Store& store) {
          store.customers().change_customer(partner_, customer_,
                                            slowly<Customer>([&](Customer& c) { c.name = name; }));
        },
        [&](Store& store) {
          store.customers().change_customer(
              partner_, customer_, slowly<Customer>([&](Customer& c) { c.email = email; }));
        });
    const auto stored = store_->customers().find_customer(partner_, customer_);
    ASSERT_EQ(stored->name, name) << "round " << round;
    ASSERT_EQ(stored->email, email) << "round " << round;
  }
}

TEST_F(SqlChangeTest, ConcurrentChangesOfDifferentUserFieldsBothLand) {
  User user;
  user.customer_id = customer_;
  user.email = "user@example.com";
  user.name = "User";
  const auto created = store_->users().create_user(partner_, user);
  for (int round = 0; round < kRounds; ++round) {
    const auto name = "name-" + std::to_string(round);
    const int access = round % 2;
    at_once(
        [&](Store& store) {
          store.users().change_user(partner_, created.id,
                                    slowly<User>([&](User& u) { u.name = name; }));
        },
        [&](Store& store) {
          store.users().change_user(partner_, created.id,
                                    slowly<User>([&](User& u) { u.write_access = access; }));
        });
    const auto stored = store_->users().find_user(partner_, created.id);
    ASSERT_EQ(stored->name, name) << "round " << round;
    ASSERT_EQ(stored->write_access, access) << "round " << round;
  }
}

TEST_F(SqlChangeTest, ConcurrentChangesOfDifferentCampaignFieldsBothLand) {
  Campaign campaign;
  campaign.customer_id = customer_;
  campaign.name = "Spring";
  campaign.pricing_model_id = "pm";
  campaign.timestamp = clock_.now();
  const auto created = store_->campaigns().create_campaign(partner_, campaign);
  for (int round = 0; round < kRounds; ++round) {
    const auto name = "name-" + std::to_string(round);
    const auto pricing = "pm-" + std::to_string(round);
    at_once(
        [&](Store& store) {
          store.campaigns().change_campaign(partner_, customer_, created.id,
                                            slowly<Campaign>([&](Campaign& k) { k.name = name; }));
        },
        [&](Store& store) {
          store.campaigns().change_campaign(
              partner_, customer_, created.id,
              slowly<Campaign>([&](Campaign& k) { k.pricing_model_id = pricing; }));
        });
    const auto stored = store_->campaigns().find_campaign(partner_, customer_, created.id);
    ASSERT_EQ(stored->name, name) << "round " << round;
    ASSERT_EQ(stored->pricing_model_id, pricing) << "round " << round;
  }
}

TEST_F(SqlChangeTest, ConcurrentChangesOfDifferentWebhookFieldsBothLand) {
  Webhook webhook;
  webhook.partner_id = partner_;
  webhook.url = "https://hooks.example.com/a";
  webhook.event_types = {"call.answered"};
  webhook.secret = "0123456789abcdef0123456789abcdef";
  const auto created = store_->webhooks().create_webhook(webhook);
  for (int round = 0; round < kRounds; ++round) {
    const auto url = "https://hooks.example.com/" + std::to_string(round);
    const auto secret = "secret-of-round-" + std::to_string(round) + "-0123456789abcdef";
    at_once(
        [&](Store& store) {
          store.webhooks().change_webhook(partner_, created.id,
                                          slowly<Webhook>([&](Webhook& w) { w.url = url; }));
        },
        [&](Store& store) {
          store.webhooks().change_webhook(partner_, created.id,
                                          slowly<Webhook>([&](Webhook& w) { w.secret = secret; }));
        });
    const auto stored = store_->webhooks().find_webhook(partner_, created.id);
    ASSERT_EQ(stored->url, url) << "round " << round;
    ASSERT_EQ(stored->secret, secret) << "round " << round;
  }
}

// DELETE quarantines a source; a PUT that read it before must not undo that when it writes.
TEST_F(SqlChangeTest, AChangeRacingADeletionNeverBringsASourceBack) {
  for (int round = 0; round < kRounds; ++round) {
    store_->numbers().add_numbers({"+4620" + std::to_string(round)}, std::nullopt);
    const auto source = make_source(partner_, customer_, "+4620" + std::to_string(round));
    const int quarantine_days = store_->partners().find_partner(partner_)->quarantine_days;
    at_once(
        [&](Store& store) {
          store.sources().change_source(partner_, source.id, [&](Source& s, ChangeLookups&) {
            return quarantine(s.lifecycle, clock_.now(), quarantine_days).allowed;
          });
        },
        [&](Store& store) {
          store.sources().change_source(partner_, source.id,
                                        slowly<Source>([&](Source& s) { s.name = "renamed"; }));
        });
    const auto stored = store_->sources().find_source(partner_, source.id);
    ASSERT_EQ(derive_status(stored->lifecycle, clock_.now(), quarantine_days),
              SourceStatus::quarantined)
        << "round " << round;
    ASSERT_EQ(stored->name, "renamed") << "round " << round;
  }
}

TEST_F(SqlChangeTest, AChangeRacingADeletionNeverBringsACustomerBack) {
  for (int round = 0; round < kRounds; ++round) {
    const auto customer = make_customer(partner_, "K-race-" + std::to_string(round));
    std::optional<Customer> changed;
    at_once([&](Store& store) { store.customers().delete_customer(partner_, customer); },
            [&](Store& store) {
              changed = store.customers().change_customer(
                  partner_, customer, slowly<Customer>([](Customer& c) { c.name = "renamed"; }));
            });
    ASSERT_FALSE(store_->customers().find_customer(partner_, customer)) << "round " << round;
    // The change either ran first (and was deleted with the customer) or found none.
    if (changed) {
      ASSERT_EQ(changed->name, "renamed") << "round " << round;
    }
  }
}

TEST_F(SqlChangeTest, ARefusedChangeWritesNothing) {
  const auto source = make_source(partner_, customer_, "+46101");
  struct Refused {};
  EXPECT_THROW(store_->sources().change_source(partner_, source.id,
                                               [](Source& s, ChangeLookups&) -> bool {
                                                 s.name = "half-written";
                                                 throw Refused{};
                                               }),
               Refused);
  EXPECT_EQ(store_->sources().find_source(partner_, source.id)->name, source.name);
}

TEST_F(SqlChangeTest, AChangeThatLeavesTheObjectAloneKeepsItsModifiedTime) {
  const auto source = make_source(partner_, customer_, "+46101");
  clock_.advance(std::chrono::hours(1));
  const auto left = store_->sources().change_source(partner_, source.id,
                                                    [](Source&, ChangeLookups&) { return false; });
  EXPECT_EQ(left->modified, source.modified);
  const auto touched = store_->sources().change_source(
      partner_, source.id, [](Source&, ChangeLookups&) { return true; });
  EXPECT_NE(touched->modified, source.modified);
  EXPECT_EQ(store_->sources().find_source(partner_, source.id)->modified, touched->modified);
}

TEST_F(SqlChangeTest, AnotherPartnersObjectIsNotFoundAndUntouched) {
  const auto source = make_source(partner_, customer_, "+46101");
  const auto other = make_partner("other");
  bool called = false;
  const auto change = [&](Source&, ChangeLookups&) { return called = true; };
  EXPECT_FALSE(store_->sources().change_source(other, source.id, change));
  EXPECT_FALSE(store_->customers().change_customer(
      other, customer_, [&](Customer&, ChangeLookups&) { return called = true; }));
  EXPECT_FALSE(called);
}

TEST_F(SqlChangeTest, LookupsSeeOnlyThePartnersCustomersCampaignsAndGreetings) {
  Campaign campaign;
  campaign.customer_id = customer_;
  campaign.name = "Spring";
  campaign.pricing_model_id = "pm";
  campaign.timestamp = clock_.now();
  const auto created = store_->campaigns().create_campaign(partner_, campaign);
  const auto other = make_partner("other");
  const auto source = make_source(partner_, customer_, "+46101");
  store_->sources().change_source(partner_, source.id, [&](Source&, ChangeLookups& lookups) {
    EXPECT_TRUE(lookups.has_customer(partner_, customer_));
    EXPECT_FALSE(lookups.has_customer(other, customer_));
    EXPECT_TRUE(lookups.has_campaign(partner_, customer_, created.id));
    EXPECT_FALSE(lookups.has_campaign(other, customer_, created.id));
    EXPECT_FALSE(lookups.has_campaign(partner_, customer_, created.id + 1000));
    EXPECT_FALSE(lookups.has_greeting(partner_, customer_, 999999));
    return false;
  });
}

// POST /sources checks its campaign inside the creating transaction, which on PostgreSQL
// runs beside other writers: a campaign deleted meanwhile must not be left referenced.
TEST_F(SqlChangeTest, ASourceCreatedRacingItsCampaignsDeletionNeverPointsAtNothing) {
  for (int round = 0; round < kRounds; ++round) {
    const auto number = "+4630" + std::to_string(round);
    store_->numbers().add_numbers({number}, std::nullopt);
    Campaign campaign;
    campaign.customer_id = customer_;
    campaign.name = "Doomed";
    campaign.pricing_model_id = "pm";
    campaign.timestamp = clock_.now();
    const auto doomed = store_->campaigns().create_campaign(partner_, campaign);
    Source source;
    source.partner_id = partner_;
    source.customer_id = customer_;
    source.name = "web";
    source.answering_number = "+46890510";
    source.lifecycle.activation = clock_.now();
    source.campaign_id = doomed.id;
    NumberRequest request;
    request.tracking_number = number;
    struct Refused {};
    at_once(
        [&](Store& store) {
          try {
            store.sources().create_source(source, request, [&](ChangeLookups& lookups) {
              if (!lookups.has_campaign(partner_, customer_, doomed.id)) throw Refused{};
              std::this_thread::sleep_for(std::chrono::milliseconds(2));
            });
          } catch (const Refused&) {
          }
        },
        [&](Store& store) {
          try {
            store.campaigns().delete_campaign(partner_, customer_, doomed.id);
          } catch (const ConflictError&) {  // has_live_sources: the source came first
          }
        });
    SourceFilter filter;
    filter.tracking_number = number;
    const auto created = store_->sources().list_sources(partner_, filter, {}).items;
    const auto kept = store_->campaigns().find_campaign(partner_, customer_, doomed.id);
    if (!created.empty()) {
      ASSERT_TRUE(kept) << "round " << round << ": the source points at a deleted campaign";
      ASSERT_EQ(kept->source_ids, std::vector<Id>{created.front().id}) << "round " << round;
    } else {
      ASSERT_FALSE(kept) << "round " << round;
    }
  }
}

// POST /customers/campaigns applies its fields, the greeting check among them, inside the
// creating transaction: a greeting deleted meanwhile must not be left referenced.
TEST_F(SqlChangeTest, ACampaignCreatedRacingItsGreetingsDeletionNeverPointsAtNothing) {
  for (int round = 0; round < kRounds; ++round) {
    VoicemailGreeting greeting;
    greeting.customer_id = customer_;
    greeting.name = "Doomed";
    const Id doomed = store_->greetings().create_greeting(partner_, greeting, std::nullopt).id;
    Campaign campaign;
    campaign.customer_id = customer_;
    campaign.name = "Spring";
    campaign.pricing_model_id = "pm";
    campaign.timestamp = clock_.now();
    std::optional<Campaign> created;
    struct Refused {};
    at_once(
        [&](Store& store) {
          try {
            created = store.campaigns().create_campaign(
                partner_, campaign, [&](Campaign& fresh, ChangeLookups& lookups) {
                  if (!lookups.has_greeting(partner_, customer_, doomed)) throw Refused{};
                  fresh.vm_greeting_id = doomed;
                  std::this_thread::sleep_for(std::chrono::milliseconds(2));
                });
          } catch (const Refused&) {
          }
        },
        [&](Store& store) {
          try {
            store.greetings().delete_greeting(partner_, customer_, doomed);
          } catch (const ConflictError&) {  // in_use: the campaign came first
          }
        });
    const auto kept = store_->greetings().find_greeting(partner_, customer_, doomed, false);
    if (created) {
      ASSERT_TRUE(kept) << "round " << round << ": the campaign points at a deleted greeting";
      ASSERT_EQ(created->vm_greeting_id, doomed) << "round " << round;
    } else {
      ASSERT_FALSE(kept) << "round " << round;
    }
  }
}

TEST_F(SqlChangeTest, ARefusedCampaignCompletionCreatesNoCampaign) {
  Campaign campaign;
  campaign.customer_id = customer_;
  campaign.name = "Spring";
  campaign.pricing_model_id = "pm";
  campaign.timestamp = clock_.now();
  struct Refused {};
  EXPECT_THROW(store_->campaigns().create_campaign(
                   partner_, campaign, [](Campaign&, ChangeLookups&) { throw Refused{}; }),
               Refused);
  EXPECT_EQ(store_->campaigns().list_campaigns(partner_, customer_, {}).total, 0);
}

TEST_F(SqlChangeTest, ARefusedReferenceCheckCreatesNoSourceAndKeepsTheNumberFree) {
  Source source;
  source.partner_id = partner_;
  source.customer_id = customer_;
  source.name = "web";
  source.answering_number = "+46890510";
  source.lifecycle.activation = clock_.now();
  struct Refused {};
  EXPECT_THROW(store_->sources().create_source(source, {}, [](ChangeLookups&) { throw Refused{}; }),
               Refused);
  EXPECT_EQ(store_->sources().list_sources(partner_, {}, {}).total, 0);
  EXPECT_EQ(store_->numbers().list_numbers(NumberState::free, std::nullopt).size(), 1u);
}

}  // namespace
}  // namespace callsight
