#pragma once

#include <optional>
#include <string>

#include "common/worker_pool.hpp"
#include "core/clock.hpp"
#include "core/types.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "store/store.hpp"

namespace callsight::api {

// Freespee's server-side number request (the DNCS API, docs/api.md "Signed number requests"):
// a partner's backend or app asks for a number for one of its visitors with a JSON POST to
// /dncs, signed with the partner's DNCS secret instead of Digest credentials. nullopt when
// the request is not for /dncs. It may create the customer, and waits for its write's commit
// on `workers` (answer_from_worker).
std::optional<http::Response> handle_signed_number_request(const http::Request& request,
                                                           Store& store, const Clock& clock,
                                                           WorkerPool* workers);

// The name of the partner's DNCS secret among the store's shared secrets: made on first use,
// the same on every node; `callsight partner dncs-secret` shows it to the operator.
std::string dncs_secret_name(Id partner_id);

}  // namespace callsight::api
