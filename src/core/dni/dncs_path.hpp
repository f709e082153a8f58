#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The parameters of Freespee's JSONP number request, which its browser script puts in the path
// as `name:value` segments: /external/dncs/callback:fn/advid:.../sessionId:.../url:.../...
// (docs/dynamic-numbers.md). Parsing only; the API layer answers with the result.
namespace callsight::dni {

struct DncsPathRequest {
  std::string callback;  // the JavaScript function the answer calls
  std::string advid;     // the customer's key: the decoded `advid` up to its first ';'
  std::string session_id;
  std::string tracking_id;                      // the visitor id
  std::string url;                              // landing URL, decoded
  std::string referrer;                         // decoded
  std::vector<std::string> numbers_to_replace;  // decoded CSV, empty items dropped
  std::string parameters;                       // decoded query string (_ga and other cookies)
  bool preflight = false;  // preFlight:1 asks which numbers the page should look for, taking none
};

// Either the request or the wire name of the first parameter that is wrong ("callback", "url",
// ...; "path" for a segment without a name). A value is never quoted back: it may hold anything.
struct DncsPathResult {
  std::optional<DncsPathRequest> request;
  std::string bad_parameter;
};

// `segments` is the path after "/external/dncs/". callback and advid are required; advid, url,
// referrer, numbersToReplace and parameters are base64url without padding; callback must match
// [A-Za-z_$][A-Za-z0-9_$.]{0,63}, so the JSONP answer can only ever call a function. A parameter
// given twice is wrong; preFlight is 0 or 1. Segments this version does not read (sameSite,
// extTrack, dryRun, ...) are ignored, as a Freespee script sends them.
DncsPathResult parse_dncs_path(std::string_view segments);

}  // namespace callsight::dni
