// The campaign and greeting sub-stores of SqlStore.
#include <gtest/gtest.h>

#include "core/time_format.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/greeting_store.hpp"
#include "store/number_store.hpp"
#include "store/source_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

constexpr Id kStandardGreeting = 1;  // added by the greetings migration

class SqlCampaignStoreTest : public SqlStoreFixture {
 protected:
  SqlCampaignStoreTest() : SqlStoreFixture("2025-05-01 10:00:00") {}

  void SetUp() override {
    alice_ = make_partner("alice");
    bob_ = make_partner("bob");
    customer_ = make_customer(alice_, "c1");
  }

  Campaign campaign_for(Id customer_id, std::optional<std::string> key = std::nullopt) {
    Campaign k;
    k.customer_id = customer_id;
    k.name = "Spring";
    k.pricing_model_id = "ppc";
    k.partner_campaign_id = std::move(key);
    k.timestamp = clock_.now();
    return k;
  }

  Source make_source(Id customer_id, const std::string& number,
                     std::optional<Id> campaign_id = std::nullopt,
                     std::optional<Id> greeting_id = std::nullopt) {
    store_->numbers().add_numbers({number}, std::nullopt);
    Source s;
    s.partner_id = alice_;
    s.customer_id = customer_id;
    s.name = "web";
    s.answering_number = "+46890510";
    s.campaign_id = campaign_id;
    s.vm_greeting_id = greeting_id;
    s.lifecycle.activation = clock_.now();
    NumberRequest request;
    request.tracking_number = number;
    return store_->sources().create_source(s, request);
  }

  VoicemailGreeting make_greeting(Id customer_id, std::string sound = "") {
    VoicemailGreeting g;
    g.customer_id = customer_id;
    g.name = "Closed";
    if (!sound.empty()) {
      g.datalength = static_cast<std::int64_t>(sound.size());
      g.sounddata_base64 = encode_base64(sound);
    }
    return store_->greetings().create_greeting(alice_, g, std::string("123456"));
  }

  CampaignStore& campaigns() { return store_->campaigns(); }
  GreetingStore& greetings() { return store_->greetings(); }

  Id alice_ = 0;
  Id bob_ = 0;
  Id customer_ = 0;
};

TEST_F(SqlCampaignStoreTest, CreatedCampaignReadsBackWithEveryField) {
  auto k = campaign_for(customer_, "key-1");
  k.email = "a@example.com";
  k.smsnumber = "+46701234567";
  k.expire = parse_utc("2025-12-31 00:00:00");
  k.expires_at = parse_utc("2025-12-31 23:00:00");
  k.notify_on_answered_call = 1;
  k.call_recording = 1;
  k.vm_divert_noanswer = 1;
  k.vm_greeting_id = kStandardGreeting;
  const auto created = campaigns().create_campaign(alice_, k);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.created, "2025-05-01 10:00:00");
  const auto found = campaigns().find_campaign(alice_, customer_, created.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->email, k.email);
  EXPECT_EQ(found->smsnumber, k.smsnumber);
  EXPECT_EQ(found->partner_campaign_id, "key-1");
  EXPECT_EQ(found->expire, k.expire);
  EXPECT_EQ(found->expires_at, k.expires_at);
  EXPECT_EQ(found->timestamp, k.timestamp);
  EXPECT_EQ(found->notify_on_answered_call, 1);
  EXPECT_EQ(found->call_recording, 1);
  EXPECT_EQ(found->vm_divert_noanswer, 1);
  EXPECT_EQ(found->vm_divert_all, 0);
  EXPECT_EQ(found->vm_greeting_id, kStandardGreeting);
  EXPECT_EQ(found->recording_notice, 1);  // the default
}

TEST_F(SqlCampaignStoreTest, OtherPartnersAndCustomersDoNotReachTheCampaign) {
  const auto k = campaigns().create_campaign(alice_, campaign_for(customer_));
  const auto other_customer = make_customer(alice_, "c2");
  EXPECT_FALSE(campaigns().find_campaign(bob_, customer_, k.id));
  EXPECT_FALSE(campaigns().find_campaign(alice_, other_customer, k.id));
  EXPECT_TRUE(campaigns().list_campaigns(bob_, customer_, {}).items.empty());
  EXPECT_THROW(campaigns().create_campaign(bob_, campaign_for(customer_)), NotFoundError);
  auto changed = k;
  changed.name = "Stolen";
  EXPECT_THROW(campaigns().update_campaign(bob_, changed), NotFoundError);
  EXPECT_THROW(campaigns().delete_campaign(bob_, customer_, k.id), NotFoundError);
  EXPECT_EQ(campaigns().find_campaign(alice_, customer_, k.id)->name, "Spring");
}

TEST_F(SqlCampaignStoreTest, PartnerCampaignIdIsUniquePerCustomer) {
  campaigns().create_campaign(alice_, campaign_for(customer_, "key"));
  EXPECT_THROW(campaigns().create_campaign(alice_, campaign_for(customer_, "key")), ConflictError);
  campaigns().create_campaign(alice_, campaign_for(make_customer(alice_, "c2"), "key"));
  campaigns().create_campaign(alice_, campaign_for(customer_));
  campaigns().create_campaign(alice_, campaign_for(customer_));  // no key twice is fine
  auto second = campaigns().create_campaign(alice_, campaign_for(customer_, "other"));
  second.partner_campaign_id = "key";
  try {
    campaigns().update_campaign(alice_, second);
    FAIL() << "duplicate key accepted";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "duplicate");
    EXPECT_EQ(e.field(), "partner_campaign_id");
  }
}

TEST_F(SqlCampaignStoreTest, ListIsPagedByIdWithTotal) {
  std::vector<Id> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(campaigns().create_campaign(alice_, campaign_for(customer_)).id);
  campaigns().create_campaign(alice_, campaign_for(make_customer(alice_, "c2")));
  const auto page = campaigns().list_campaigns(alice_, customer_, PageRequest{1, 2});
  EXPECT_EQ(page.total, 3);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, ids[2]);
}

TEST_F(SqlCampaignStoreTest, UpdateWritesFieldsAndModified) {
  auto k = campaigns().create_campaign(alice_, campaign_for(customer_));
  clock_.advance(std::chrono::hours(1));
  k.name = "Summer";
  k.email.reset();
  k.vm_divert_all = 1;
  k.recording_notice = 0;
  const auto updated = campaigns().update_campaign(alice_, k);
  EXPECT_EQ(updated.name, "Summer");
  EXPECT_EQ(updated.vm_divert_all, 1);
  EXPECT_EQ(updated.recording_notice, 0);
  EXPECT_EQ(campaigns().find_campaign(alice_, customer_, k.id)->recording_notice, 0);
  EXPECT_EQ(updated.created, "2025-05-01 10:00:00");
  EXPECT_EQ(updated.modified, "2025-05-01 11:00:00");
}

TEST_F(SqlCampaignStoreTest, SourceIdsListTheCampaignsSources) {
  const auto k = campaigns().create_campaign(alice_, campaign_for(customer_));
  const auto s1 = make_source(customer_, "+46401000001", k.id);
  make_source(customer_, "+46401000002");
  const auto s3 = make_source(customer_, "+46401000003", k.id);
  EXPECT_EQ(campaigns().find_campaign(alice_, customer_, k.id)->source_ids,
            (std::vector<Id>{s1.id, s3.id}));
  EXPECT_EQ(campaigns().list_campaigns(alice_, customer_, {}).items.at(0).source_ids,
            (std::vector<Id>{s1.id, s3.id}));
}

TEST_F(SqlCampaignStoreTest, DeleteIsRefusedWhileLiveSourcesBelongToIt) {
  const auto k = campaigns().create_campaign(alice_, campaign_for(customer_));
  auto source = make_source(customer_, "+46401000001", k.id);
  try {
    campaigns().delete_campaign(alice_, customer_, k.id);
    FAIL() << "delete with a live source accepted";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "has_live_sources");
    EXPECT_EQ(e.field(), "campaign_id");
  }
  // Quarantined still counts as live: it can be reactivated.
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  EXPECT_THROW(campaigns().delete_campaign(alice_, customer_, k.id), ConflictError);
  clock_.advance(std::chrono::days(61));
  const auto deleted = campaigns().delete_campaign(alice_, customer_, k.id);
  EXPECT_EQ(deleted.source_ids, std::vector<Id>{source.id});
  EXPECT_FALSE(campaigns().find_campaign(alice_, customer_, k.id));
  EXPECT_FALSE(store_->sources().find_source(alice_, source.id)->campaign_id);
}

TEST_F(SqlCampaignStoreTest, DeletingTheCustomerTakesItsCampaignsAndGreetings) {
  const auto k = campaigns().create_campaign(alice_, campaign_for(customer_));
  const auto g = make_greeting(customer_);
  store_->customers().delete_customer(alice_, customer_);
  const auto again = make_customer(alice_, "c1");
  EXPECT_FALSE(campaigns().find_campaign(alice_, again, k.id));
  EXPECT_FALSE(greetings().find_greeting(alice_, again, g.id, false));
}

TEST_F(SqlCampaignStoreTest, EveryCustomerSeesTheSystemGreetingLocked) {
  const auto bobs = make_customer(bob_, "b1");
  for (const auto& [partner, customer] : {std::pair{alice_, customer_}, std::pair{bob_, bobs}}) {
    const auto list = greetings().list_greetings(partner, customer, {});
    ASSERT_EQ(list.total, 1);
    EXPECT_EQ(list.items[0].id, kStandardGreeting);
    EXPECT_EQ(list.items[0].name, "Standard greeting");
    EXPECT_TRUE(list.items[0].locked);
    EXPECT_FALSE(list.items[0].customer_id);
  }
}

TEST_F(SqlCampaignStoreTest, GreetingSoundIsLoadedOnlyWhenAskedFor) {
  const auto g = make_greeting(customer_, "ID3 audio");
  EXPECT_EQ(g.datalength, 9);
  EXPECT_EQ(g.timestamp, "2025-05-01 10:00:00");
  EXPECT_FALSE(greetings().find_greeting(alice_, customer_, g.id, false)->sounddata_base64);
  EXPECT_EQ(greetings().find_greeting(alice_, customer_, g.id, true)->sounddata_base64,
            encode_base64("ID3 audio"));
  EXPECT_EQ(greetings()
                .find_greeting(alice_, customer_, make_greeting(customer_).id, true)
                ->sounddata_base64,
            "");
}

TEST_F(SqlCampaignStoreTest, GreetingsAreIsolatedPerCustomerAndPartner) {
  const auto g = make_greeting(customer_);
  const auto other = make_customer(alice_, "c2");
  const auto bobs = make_customer(bob_, "b1");
  EXPECT_FALSE(greetings().find_greeting(alice_, other, g.id, false));
  EXPECT_FALSE(greetings().find_greeting(bob_, bobs, g.id, false));
  EXPECT_FALSE(greetings().find_greeting(bob_, customer_, g.id, false));
  EXPECT_TRUE(greetings().list_greetings(bob_, customer_, {}).items.empty());
  EXPECT_EQ(greetings().list_greetings(alice_, other, {}).total, 1);  // the system one
  EXPECT_THROW(greetings().rename_greeting(bob_, bobs, g.id, "x"), NotFoundError);
  EXPECT_THROW(greetings().delete_greeting(bob_, bobs, g.id), NotFoundError);
  VoicemailGreeting foreign;
  foreign.customer_id = customer_;
  foreign.name = "x";
  EXPECT_THROW(greetings().create_greeting(bob_, foreign, std::nullopt), NotFoundError);
}

TEST_F(SqlCampaignStoreTest, SystemGreetingCannotBeRenamedOrDeleted) {
  EXPECT_THROW(greetings().rename_greeting(alice_, customer_, kStandardGreeting, "x"),
               ConflictError);
  EXPECT_THROW(greetings().delete_greeting(alice_, customer_, kStandardGreeting), ConflictError);
  EXPECT_EQ(greetings().find_greeting(alice_, customer_, kStandardGreeting, false)->name,
            "Standard greeting");
}

TEST_F(SqlCampaignStoreTest, RenameChangesOnlyTheName) {
  const auto g = make_greeting(customer_, "RIFFxxxxWAVE");
  const auto renamed = greetings().rename_greeting(alice_, customer_, g.id, "Holiday");
  EXPECT_EQ(renamed.name, "Holiday");
  EXPECT_EQ(renamed.datalength, 12);
  EXPECT_EQ(renamed.timestamp, g.timestamp);
}

TEST_F(SqlCampaignStoreTest, UsedByListsTheCustomersLiveSourcesOnly) {
  const auto g = make_greeting(customer_);
  const auto other = make_customer(alice_, "c2");
  const auto s1 = make_source(customer_, "+46401000001", std::nullopt, g.id);
  auto s2 = make_source(customer_, "+46401000002", std::nullopt, kStandardGreeting);
  make_source(other, "+46401000003", std::nullopt, kStandardGreeting);
  EXPECT_EQ(greetings().find_greeting(alice_, customer_, g.id, false)->used_by,
            std::vector<Id>{s1.id});
  EXPECT_EQ(greetings().find_greeting(alice_, customer_, kStandardGreeting, false)->used_by,
            std::vector<Id>{s2.id});
  s2.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(s2);
  clock_.advance(std::chrono::days(61));
  EXPECT_TRUE(
      greetings().find_greeting(alice_, customer_, kStandardGreeting, false)->used_by.empty());
}

TEST_F(SqlCampaignStoreTest, DeleteOfAGreetingInUseIsRefused) {
  const auto by_source = make_greeting(customer_);
  auto source = make_source(customer_, "+46401000001", std::nullopt, by_source.id);
  try {
    greetings().delete_greeting(alice_, customer_, by_source.id);
    FAIL() << "delete of a greeting in use accepted";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "in_use");
    EXPECT_EQ(e.field(), "vm_greeting_id");
  }
  auto k = campaign_for(customer_);
  const auto by_campaign = make_greeting(customer_);
  k.vm_greeting_id = by_campaign.id;
  campaigns().create_campaign(alice_, k);
  EXPECT_THROW(greetings().delete_greeting(alice_, customer_, by_campaign.id), ConflictError);
  // Once its only source is archived, the greeting can go and the source forgets it.
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  clock_.advance(std::chrono::days(61));
  EXPECT_EQ(greetings().delete_greeting(alice_, customer_, by_source.id).id, by_source.id);
  EXPECT_FALSE(greetings().find_greeting(alice_, customer_, by_source.id, false));
  EXPECT_FALSE(store_->sources().find_source(alice_, source.id)->vm_greeting_id);
}

}  // namespace
}  // namespace callsight
