#pragma once

#include "store/mail_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlMailStore final : public MailStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  std::vector<OutboxMail> claim_mails(TimePoint now, std::chrono::seconds lease, int limit,
                                      const RowFailureHandler& on_failure = {}) override;
  void record_mail_attempt(Id mail_id, const MailAttempt& attempt, TimePoint now) override;
  MailOutboxDepth mail_outbox_depth() override;
  bool queue_voicemail_mail(Id cdr_id, std::string_view message_link) override;
  std::vector<OutboxMail> mails_of_call(Id cdr_id) override;
  PurgeProgress purge_settled_mail(TimePoint cutoff, const RowFailureHandler& on_failure = {},
                                   int max_batches = 20) override;
};

}  // namespace callsight
