// Google Benchmark micro-benchmarks of the per-request core work: phone-number
// normalisation, the caller's area for CDR listings, alt-number rule evaluation, JSON list
// rendering and Digest verification. Run: build/bin/callsight_core_bench (bench/README.md).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "api/render.hpp"
#include "common/crypto.hpp"
#include "core/alt_number_rules.hpp"
#include "core/caller_area.hpp"
#include "core/phone_number.hpp"
#include "core/time_format.hpp"
#include "http/auth.hpp"
#include "http/credentials.hpp"

namespace callsight {
namespace {

// The i-th of distinct callers as a CDR page holds them: landlines of several areas, mobiles.
std::string caller(int i) {
  const std::array<const char*, 6> prefixes = {"+468", "+4631", "+4640", "+4618", "+4670", "+4673"};
  std::string number = prefixes[static_cast<std::size_t>(i) % prefixes.size()];
  const auto digits = std::to_string(1000000 + i % 8000000);
  return number + std::string(12 - number.size() - digits.size(), '0') + digits;
}

void NormalizeNational(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(normalize_phone_number("08-123 456 78", "SE"));
}
BENCHMARK(NormalizeNational);

void NormalizeE164(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(normalize_phone_number("+46701234567", "SE"));
}
BENCHMARK(NormalizeE164);

// One call per CDR rendered (anum_ndc_name), for a number not asked before: libphonenumber's
// regexes and geocoder, what a page of new calls costs.
void CallerAreaNameFirstAsk(benchmark::State& state) {
  static int next = 0;  // across runs too: every number is new to the process's memo
  for (auto _ : state) benchmark::DoNotOptimize(caller_area_name(caller(next++)));
}
BENCHMARK(CallerAreaNameFirstAsk);

// The same for numbers asked before, as when a partner polls the same recent pages.
void CallerAreaNameAskedAgain(benchmark::State& state) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 600; ++i) numbers.push_back(caller(10000000 + i));
  for (const auto& number : numbers) caller_area_name(number);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(caller_area_name(numbers[i]));
    i = (i + 1) % numbers.size();
  }
}
BENCHMARK(CallerAreaNameAskedAgain);

// state.range(0) rules of which none holds, the worst case: every rule is evaluated.
void AnsweringTargetAt(benchmark::State& state) {
  std::vector<AltNumberRule> rules;
  for (int i = 0; i < state.range(0); ++i) {
    rules.push_back({.alt_key = std::to_string(i),
                     .answering_number = "+46890510",
                     .weekdays = 0b0011111,
                     .from_minute = 0,
                     .to_minute = 60});
  }
  const auto saturday_noon = parse_utc("2026-11-28 11:00:00").value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        answering_target_at("+46812345678", rules, saturday_noon, "Europe/Stockholm"));
  }
}
BENCHMARK(AnsweringTargetAt)->Arg(1)->Arg(10)->Arg(100);

// A list response of state.range(0) objects of 21 string fields, the shape of a CDR page.
void RenderJsonList(benchmark::State& state) {
  api::Json item;
  for (int field = 0; field < 21; ++field) {
    item["field_" + std::to_string(field)] = "+4670123xxx " + std::to_string(field);
  }
  const PageRequest page{0, static_cast<int>(state.range(0))};
  for (auto _ : state) {
    api::Json items = api::Json::array();
    for (int i = 0; i < state.range(0); ++i) items.push_back(item);
    benchmark::DoNotOptimize(api::list("cdrs", std::move(items), 100000, page));
  }
}
BENCHMARK(RenderJsonList)->Arg(100)->Arg(1000);

std::string quoted_param(const std::string& header, const std::string& name) {
  const auto start = header.find(name + "=\"") + name.size() + 2;
  return header.substr(start, header.find('"', start) - start);
}

// A full MD5 Digest verification with a fresh nonce count each time, as on every request.
void DigestVerify(benchmark::State& state) {
  const auto hashes = http::hash_password("bench", "secret");
  const auto account = std::make_shared<const http::StoredCredentials>(http::StoredCredentials{
      1, hashes.password_hash, hashes.digest_ha1_md5, hashes.digest_ha1_sha256, {"127.0.0.1/32"}});
  const SystemClock clock;
  http::Authenticator auth([&](std::string_view) { return account; }, clock);
  http::Request request{
      .method = "GET", .target = "/miscellaneous/ping", .remote_address = "127.0.0.1"};
  const auto challenge = auth.authenticate(request).failure.headers.at(1).second;
  const auto nonce = quoted_param(challenge, "nonce");
  const auto opaque = quoted_param(challenge, "opaque");
  const auto ha1 = crypto::md5_hex("bench:Callsight API:secret");
  const auto ha2 = crypto::md5_hex("GET:/miscellaneous/ping");
  std::uint32_t count = 0;
  for (auto _ : state) {
    char nc[9];
    std::snprintf(nc, sizeof nc, "%08x", ++count);
    const auto response = crypto::md5_hex(ha1 + ":" + nonce + ":" + nc + ":c0ffee:auth:" + ha2);
    request.headers = {
        {"authorization", "Digest username=\"bench\", realm=\"Callsight API\", nonce=\"" + nonce +
                              "\", uri=\"/miscellaneous/ping\", algorithm=MD5, qop=auth, nc=" + nc +
                              ", cnonce=\"c0ffee\", response=\"" + response + "\", opaque=\"" +
                              opaque + "\""}};
    if (!auth.authenticate(request).ok) state.SkipWithError("Digest verification failed");
  }
}
BENCHMARK(DigestVerify);

// The hashes every authenticated request computes: a nonce's or a cached login's HMAC, and
// Digest's MD5s.
void HmacSha256Short(benchmark::State& state) {
  const crypto::Bytes key(32, 7);
  const std::string data(48, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::hmac_sha256(key, crypto::bytes_of(data)));
}
BENCHMARK(HmacSha256Short);

void Md5HexShort(benchmark::State& state) {
  const std::string data(90, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::md5_hex(data));
}
BENCHMARK(Md5HexShort);

}  // namespace
}  // namespace callsight

BENCHMARK_MAIN();
