#include "store/sql/sql_campaign_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {

namespace {

const std::string kCampaignColumns =
    "k.id, k.customer_id, k.name, k.email, k.smsnumber, k.partner_campaign_id, "
    "k.pricing_model_id, k.starts, k.expire, k.expires_at, k.notify_on_missed_call, "
    "k.notify_on_answered_call, k.notify_on_new_voicemail, k.vm_divert_all, k.vm_divert_busy, "
    "k.vm_divert_noanswer, k.call_recording, k.vm_greeting_id, k.created, k.modified, "
    "k.recording_notice";

// Campaigns of the partner's customers only.
const std::string kPartnersCampaigns =
    " FROM campaigns k JOIN customers c ON c.id = k.customer_id"
    " WHERE c.partner_id = :partner_id AND k.customer_id = :customer_id";

Campaign read_campaign(const SqlStatement& row) {
  Campaign k;
  k.id = row.int64(0);
  k.customer_id = row.int64(1);
  k.name = row.text(2);
  k.email = row.optional_text(3);
  k.smsnumber = row.optional_text(4);
  k.partner_campaign_id = row.optional_text(5);
  k.pricing_model_id = row.text(6);
  k.timestamp = row.time(7);
  k.expire = row.optional_time(8);
  k.expires_at = row.optional_time(9);
  k.notify_on_missed_call = row.integer(10);
  k.notify_on_answered_call = row.integer(11);
  k.notify_on_new_voicemail = row.integer(12);
  k.vm_divert_all = row.integer(13);
  k.vm_divert_busy = row.integer(14);
  k.vm_divert_noanswer = row.integer(15);
  k.call_recording = row.integer(16);
  k.vm_greeting_id = row.optional_int64(17);
  k.created = row.text(18);
  k.modified = row.text(19);
  k.recording_notice = row.integer(20);
  return k;
}

// Everything update_campaign may change.
void bind_mutable_fields(SqlStatement& stmt, const Campaign& k) {
  stmt.bind(":name", k.name)
      .bind(":email", k.email)
      .bind(":smsnumber", k.smsnumber)
      .bind(":partner_campaign_id", k.partner_campaign_id)
      .bind(":pricing_model_id", k.pricing_model_id)
      .bind(":starts", k.timestamp)
      .bind(":expire", k.expire)
      .bind(":expires_at", k.expires_at)
      .bind(":notify_on_missed_call", k.notify_on_missed_call)
      .bind(":notify_on_answered_call", k.notify_on_answered_call)
      .bind(":notify_on_new_voicemail", k.notify_on_new_voicemail)
      .bind(":vm_divert_all", k.vm_divert_all)
      .bind(":vm_divert_busy", k.vm_divert_busy)
      .bind(":vm_divert_noanswer", k.vm_divert_noanswer)
      .bind(":call_recording", k.call_recording)
      .bind(":recording_notice", k.recording_notice)
      .bind(":vm_greeting_id", k.vm_greeting_id);
}

}  // namespace

std::optional<Campaign> find_campaign_row(SqlDatabase& db, Id campaign_id) {
  auto stmt = db.prepare("SELECT " + kCampaignColumns + " FROM campaigns k WHERE k.id = :id");
  stmt.bind(":id", campaign_id);
  if (!stmt.step()) return std::nullopt;
  return read_campaign(stmt);
}

std::optional<Campaign> SqlCampaignStore::find_locked(Id partner_id, Id customer_id,
                                                      Id campaign_id) {
  auto stmt = db_.prepare("SELECT " + kCampaignColumns + kPartnersCampaigns + " AND k.id = :id");
  stmt.bind(":partner_id", partner_id).bind(":customer_id", customer_id).bind(":id", campaign_id);
  if (!stmt.step()) return std::nullopt;
  auto campaign = read_campaign(stmt);
  fill_source_ids(campaign);
  return campaign;
}

void SqlCampaignStore::fill_source_ids(Campaign& campaign) {
  auto stmt = db_.prepare(
      "SELECT id FROM sources WHERE campaign_id = :id AND customer_id = :customer_id"
      " ORDER BY id");
  stmt.bind(":id", campaign.id).bind(":customer_id", campaign.customer_id);
  campaign.source_ids.clear();
  while (stmt.step()) campaign.source_ids.push_back(stmt.int64(0));
}

void SqlCampaignStore::check_partner_key_free(const Campaign& campaign) {
  if (!campaign.partner_campaign_id) return;
  auto stmt = db_.prepare(
      "SELECT 1 FROM campaigns WHERE customer_id = :customer_id"
      " AND partner_campaign_id = :key AND id <> :id");
  stmt.bind(":customer_id", campaign.customer_id)
      .bind(":key", *campaign.partner_campaign_id)
      .bind(":id", campaign.id);
  if (stmt.step()) {
    throw ConflictError("duplicate", "partner_campaign_id",
                        "the customer has a campaign with this partner_campaign_id already");
  }
}

Campaign SqlCampaignStore::create_campaign(
    Id partner_id, const Campaign& campaign,
    const std::function<void(Campaign&, ChangeLookups&)>& complete) {
  SqlTransaction tx(db_, Mode::write);
  Campaign stored = campaign;
  // First, so that a request with bad fields is refused for them whatever its customer is.
  if (complete) {
    SqlChangeLookups lookups(db_);
    complete(stored, lookups);
  }
  stored.id = 0;
  stored.customer_id = campaign.customer_id;
  require_partners_customer(db_, partner_id, stored.customer_id);
  check_partner_key_free(stored);
  {
    auto stmt = db_.prepare(
        "INSERT INTO campaigns (customer_id, name, email, smsnumber, partner_campaign_id, "
        "pricing_model_id, starts, expire, expires_at, notify_on_missed_call, "
        "notify_on_answered_call, notify_on_new_voicemail, vm_divert_all, vm_divert_busy, "
        "vm_divert_noanswer, call_recording, recording_notice, vm_greeting_id, created, modified) "
        "VALUES (:customer_id, :name, :email, :smsnumber, :partner_campaign_id, "
        ":pricing_model_id, :starts, :expire, :expires_at, :notify_on_missed_call, "
        ":notify_on_answered_call, :notify_on_new_voicemail, :vm_divert_all, :vm_divert_busy, "
        ":vm_divert_noanswer, :call_recording, :recording_notice, :vm_greeting_id, :created, "
        ":created) RETURNING id");
    bind_mutable_fields(stmt, stored);
    stmt.bind(":customer_id", stored.customer_id).bind(":created", format_utc(clock_.now()));
    stored.id = stmt.returning_id();
  }
  auto created = find_locked(partner_id, stored.customer_id, stored.id);
  tx.commit();
  return *created;
}

std::optional<Campaign> SqlCampaignStore::find_campaign(Id partner_id, Id customer_id,
                                                        Id campaign_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_locked(partner_id, customer_id, campaign_id);
}

Page<Campaign> SqlCampaignStore::list_campaigns(Id partner_id, Id customer_id, PageRequest page) {
  SqlTransaction tx(db_, Mode::read);
  auto result = read_page(
      db_, kCampaignColumns, kPartnersCampaigns, "k.id", page,
      [&](SqlStatement& stmt) {
        stmt.bind(":partner_id", partner_id).bind(":customer_id", customer_id);
      },
      read_campaign);
  for (auto& campaign : result.items) fill_source_ids(campaign);
  return result;
}

Campaign SqlCampaignStore::update_campaign(Id partner_id, const Campaign& campaign) {
  auto stored =
      change_campaign(partner_id, campaign.customer_id, campaign.id, [&](Campaign& k, auto&) {
        k = campaign;
        return true;
      });
  if (!stored) throw NotFoundError("campaign not found");
  return *stored;
}

std::optional<Campaign> SqlCampaignStore::change_campaign(Id partner_id, Id customer_id,
                                                          Id campaign_id,
                                                          const Change<Campaign>& change) {
  return apply_change(
      db_, change, [&] { return find_locked(partner_id, customer_id, campaign_id); },
      [&](const Campaign& before, Campaign& after) {
        after.id = campaign_id;
        after.customer_id = customer_id;
        if (after.partner_campaign_id != before.partner_campaign_id) check_partner_key_free(after);
        ChangedColumns(db_, "campaigns", campaign_id)
            .write("name", before.name, after.name)
            .write("email", before.email, after.email)
            .write("smsnumber", before.smsnumber, after.smsnumber)
            .write("partner_campaign_id", before.partner_campaign_id, after.partner_campaign_id)
            .write("pricing_model_id", before.pricing_model_id, after.pricing_model_id)
            .write("starts", before.timestamp, after.timestamp)
            .write("expire", before.expire, after.expire)
            .write("expires_at", before.expires_at, after.expires_at)
            .write("notify_on_missed_call", before.notify_on_missed_call,
                   after.notify_on_missed_call)
            .write("notify_on_answered_call", before.notify_on_answered_call,
                   after.notify_on_answered_call)
            .write("notify_on_new_voicemail", before.notify_on_new_voicemail,
                   after.notify_on_new_voicemail)
            .write("vm_divert_all", before.vm_divert_all, after.vm_divert_all)
            .write("vm_divert_busy", before.vm_divert_busy, after.vm_divert_busy)
            .write("vm_divert_noanswer", before.vm_divert_noanswer, after.vm_divert_noanswer)
            .write("call_recording", before.call_recording, after.call_recording)
            .write("recording_notice", before.recording_notice, after.recording_notice)
            .write("vm_greeting_id", before.vm_greeting_id, after.vm_greeting_id)
            .write("modified", before.modified, format_utc(clock_.now()));
      });
}

Campaign SqlCampaignStore::delete_campaign(Id partner_id, Id customer_id, Id campaign_id) {
  SqlTransaction tx(db_, Mode::write);
  auto campaign = find_locked(partner_id, customer_id, campaign_id);
  if (!campaign) throw NotFoundError("campaign not found");
  // A source created beside this transaction holds the campaign's row (SqlChangeLookups)
  // until it commits: wait for it, so that the count below sees it.
  db_.prepare("SELECT 1 FROM campaigns k WHERE k.id = :id" + db_.dialect().lock_clause("k", false))
      .bind(":id", campaign_id)
      .run();
  {
    auto live = db_.prepare(
        "SELECT COUNT(*) FROM sources s JOIN partners p ON p.id = s.partner_id"
        " WHERE s.campaign_id = :id AND " +
        source_status_sql() + " <> 'archived'");
    live.bind(":id", campaign_id).bind(":now", clock_.now());
    live.step();
    if (live.int64(0) > 0) {
      throw ConflictError("has_live_sources", "campaign_id",
                          "sources that are not archived belong to the campaign");
    }
  }
  // Archived sources keep no reference to a campaign that no longer exists.
  db_.prepare("UPDATE sources SET campaign_id = NULL WHERE campaign_id = :id")
      .bind(":id", campaign_id)
      .run();
  db_.prepare("DELETE FROM campaigns WHERE id = :id").bind(":id", campaign_id).run();
  tx.commit();
  return *campaign;
}

}  // namespace callsight
