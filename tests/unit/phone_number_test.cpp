#include "core/phone_number.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace callsight {
namespace {

std::string normalized(std::string_view input, std::string_view country) {
  auto result = normalize_phone_number(input, country);
  if (auto* error = std::get_if<PhoneNumberError>(&result)) {
    return "error " + error->code + ": " + error->message;
  }
  return std::get<std::string>(result);
}

std::string error_code(const std::variant<std::string, PhoneNumberError>& result) {
  const auto* error = std::get_if<PhoneNumberError>(&result);
  return error ? error->code : "accepted as " + std::get<std::string>(result);
}

TEST(PhoneNumber, NationalSwedishSeedNumbersBecomeE164) {
  // Possible but not valid per libphonenumber's metadata; Freespee accepted them.
  EXPECT_EQ(normalized("0890510", "SE"), "+46890510");
  EXPECT_EQ(normalized("01890520", "SE"), "+461890520");
}

TEST(PhoneNumber, InternationalFormsKeepTheirCountry) {
  EXPECT_EQ(normalized("+46890510", "SE"), "+46890510");
  EXPECT_EQ(normalized("0046890510", "SE"), "+46890510");
  EXPECT_EQ(normalized("+46890510", "US"), "+46890510");
  EXPECT_EQ(normalized("+46890510", ""), "+46890510");
}

TEST(PhoneNumber, SeparatorsAreIgnored) {
  EXPECT_EQ(normalized(" (08) 905-10 ", "SE"), "+46890510");
  EXPECT_EQ(normalized("+46 8 905 10", "SE"), "+46890510");
  EXPECT_EQ(normalized("08.905/10", "SE"), "+46890510");
}

TEST(PhoneNumber, GermanAndUsNumbersUseTheirCountryCode) {
  EXPECT_EQ(normalized("030 123456", "DE"), "+4930123456");
  EXPECT_EQ(normalized("(202) 555-0143", "US"), "+12025550143");
  EXPECT_EQ(normalized("1 202 555 0143", "US"), "+12025550143");
}

TEST(PhoneNumber, RejectsLettersInsteadOfReadingThemAsVanityDigits) {
  EXPECT_EQ(error_code(normalize_phone_number("1-800-FLOWERS", "US")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("08 90510 ext 12", "SE")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("abc", "SE")), "invalid");
}

TEST(PhoneNumber, RejectsEmptyAndNonNumericInput) {
  EXPECT_EQ(error_code(normalize_phone_number("", "SE")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("   ", "SE")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("--", "SE")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("08#90510", "SE")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("08+90510", "SE")), "invalid");
}

TEST(PhoneNumber, RejectsNumbersTooShortOrTooLongForTheirCountry) {
  EXPECT_EQ(error_code(normalize_phone_number("123", "SE")), "not_possible");
  EXPECT_EQ(error_code(normalize_phone_number("+4612", "SE")), "not_possible");
  EXPECT_EQ(error_code(normalize_phone_number("0812345678901234567", "SE")), "not_possible");
  EXPECT_EQ(error_code(normalize_phone_number("555", "US")), "not_possible");
}

TEST(PhoneNumber, NationalInputNeedsAKnownCountry) {
  EXPECT_EQ(error_code(normalize_phone_number("0890510", "")), "invalid");
  EXPECT_EQ(error_code(normalize_phone_number("0890510", "XX")), "invalid");
}

TEST(PhoneNumber, ErrorMessagesSayWhatIsWrong) {
  const auto result = normalize_phone_number("123", "SE");
  ASSERT_TRUE(std::holds_alternative<PhoneNumberError>(result));
  EXPECT_NE(std::get<PhoneNumberError>(result).message.find("too short"), std::string::npos);
}

TEST(PhoneNumber, E164OnlyInputRejectsNationalForms) {
  EXPECT_EQ(error_code(normalize_e164_only("0890510")), "invalid");
  EXPECT_EQ(error_code(normalize_e164_only("0046890510")), "invalid");
  EXPECT_EQ(error_code(normalize_e164_only("")), "invalid");
  EXPECT_EQ(error_code(normalize_e164_only("+4612")), "not_possible");
  EXPECT_EQ(error_code(normalize_e164_only("+46 8 FLOWERS")), "invalid");
}

TEST(PhoneNumber, E164OnlyInputAcceptsPossibleInternationalNumbers) {
  EXPECT_EQ(error_code(normalize_e164_only("+46890510")), "accepted as +46890510");
  EXPECT_EQ(error_code(normalize_e164_only(" +46 8-905 10")), "accepted as +46890510");
  EXPECT_EQ(error_code(normalize_e164_only("+12025550143")), "accepted as +12025550143");
}

TEST(PhoneNumber, IsE164ChecksStrictSyntax) {
  EXPECT_TRUE(is_e164("+46890510"));
  EXPECT_TRUE(is_e164("+123456"));
  EXPECT_TRUE(is_e164("+123456789012345"));
  EXPECT_FALSE(is_e164("+12345"));
  EXPECT_FALSE(is_e164("+1234567890123456"));
  EXPECT_FALSE(is_e164("46890510"));
  EXPECT_FALSE(is_e164("+046890510"));
  EXPECT_FALSE(is_e164("+46 890510"));
  EXPECT_FALSE(is_e164("+"));
  EXPECT_FALSE(is_e164(""));
}

TEST(PhoneNumber, NdcPrefixGetsCountryCodeWithoutNationalPrefix) {
  EXPECT_EQ(e164_prefix_for_ndc("8", "SE"), "+468");
  EXPECT_EQ(e164_prefix_for_ndc("08", "SE"), "+468");
  EXPECT_EQ(e164_prefix_for_ndc("30", "DE"), "+4930");
  EXPECT_EQ(e164_prefix_for_ndc("202", "US"), "+1202");
}

TEST(PhoneNumber, NdcPrefixRejectsNonDigitsAndUnknownCountries) {
  EXPECT_EQ(e164_prefix_for_ndc("", "SE"), std::nullopt);
  EXPECT_EQ(e164_prefix_for_ndc("0", "SE"), std::nullopt);
  EXPECT_EQ(e164_prefix_for_ndc("8a", "SE"), std::nullopt);
  EXPECT_EQ(e164_prefix_for_ndc("+468", "SE"), std::nullopt);
  EXPECT_EQ(e164_prefix_for_ndc("8", "XX"), std::nullopt);
}

// Found by fuzzing (tests/fuzz/regressions/phone_number): "00046890510" in SE became
// +460046890510, which normalises again to +46046890510, so a number stored from one input
// never matched the same number stored from the other (blacklists, routing).
TEST(PhoneNumber, AcceptedNumbersNormaliseToThemselvesAgain) {
  EXPECT_EQ(error_code(normalize_phone_number("00046890510", "SE")), "invalid");
  EXPECT_EQ(error_code(normalize_e164_only("+460046890510")), "invalid");
  // Not only leading zeros: Brazil's national prefix swallows a carrier code on the second read.
  EXPECT_EQ(error_code(normalize_e164_only("+5509049030004")), "invalid");
  EXPECT_EQ(normalized("+559049030004", "SE"), "+5549030004");
  EXPECT_EQ(normalized("+5549030004", "SE"), "+5549030004");
  // Italian numbers keep their leading zero and are stable.
  EXPECT_EQ(normalized("06 1234 5678", "IT"), "+390612345678");
  EXPECT_EQ(normalized("+390612345678", "SE"), "+390612345678");
}

// Found by fuzzing (tests/fuzz/regressions/phone_number): libphonenumber called a German
// number of 16 digits possible; E.164 numbers have at most 15.
TEST(PhoneNumber, RefusesMoreThanFifteenDigits) {
  EXPECT_EQ(error_code(normalize_phone_number("564/12345.123467", "DE")), "not_possible");
  EXPECT_EQ(error_code(normalize_e164_only("+4956412345123467")), "not_possible");
  EXPECT_EQ(normalized("+495641234512346", "SE"), "+495641234512346");
}

TEST(PhoneNumber, FormatsNationallyForWebPages) {
  EXPECT_EQ(format_national("+4681234567"), "08-123 45 67");
  EXPECT_EQ(format_national("+442079460000"), "020 7946 0000");
  EXPECT_EQ(format_national("not a number"), "not a number");
}

TEST(PhoneNumber, DialledTrackingNumberIsE164WithOrWithoutPlus) {
  EXPECT_EQ(dialled_tracking_number("+46850000100"), "+46850000100");
  EXPECT_EQ(dialled_tracking_number("46850000100"), "+46850000100");
  EXPECT_EQ(dialled_tracking_number("+46 8-500 001 00"), "+46850000100");
  // A national form names no tracking number: the switch has no country to read it with.
  EXPECT_EQ(dialled_tracking_number("0850000100"), std::nullopt);
  EXPECT_EQ(dialled_tracking_number("anonymous"), std::nullopt);
}

TEST(PhoneNumber, DialledFormsAreTheFormsDialledTrackingNumberReads) {
  EXPECT_EQ(dialled_forms("+46850000100"),
            (std::vector<std::string>{"+46850000100", "46850000100"}));
  for (const auto* e164 : {"+46850000100", "+4930123456", "+12025550123", "+390612345678"}) {
    const auto forms = dialled_forms(e164);
    EXPECT_EQ(forms.size(), 2U) << e164;
    for (const auto& form : forms) EXPECT_EQ(dialled_tracking_number(form), e164) << form;
  }
  EXPECT_TRUE(dialled_forms("0850000100").empty());
}

TEST(PhoneNumber, CallerFormsOfASwedishMobileInSweden) {
  EXPECT_EQ(caller_forms("+46701234567", "SE"),
            (std::vector<std::string>{"+46701234567", "46701234567", "0046701234567", "0701234567",
                                      "701234567"}));
}

TEST(PhoneNumber, CallerFormsOfAForeignNumberHaveNoNationalForm) {
  EXPECT_EQ(caller_forms("+4791234567", "SE"),
            (std::vector<std::string>{"+4791234567", "004791234567"}));
  EXPECT_EQ(caller_forms("+46701234567", "US"),
            (std::vector<std::string>{"+46701234567", "01146701234567"}));
}

// Every form given reads back as the blacklist entry with the partner's country, so an edge
// refusing these texts refuses exactly the callers the live path refuses.
TEST(PhoneNumber, EveryCallerFormNormalisesBackToItsNumber) {
  const std::vector<std::pair<const char*, const char*>> entries = {
      {"+46701234567", "SE"},   {"+46890510", "SE"},    {"+4930123456", "DE"},
      {"+4915123456789", "DE"}, {"+12025550123", "US"}, {"+442079460000", "GB"},
      {"+390612345678", "IT"},  {"+33612345678", "FR"}, {"+4791234567", "NO"},
      {"+4791234567", "SE"},    {"+12025550123", "SE"}, {"+46701234567", "DE"}};
  for (const auto& [e164, country] : entries) {
    const auto forms = caller_forms(e164, country);
    ASSERT_GE(forms.size(), 2U) << e164 << " in " << country;
    EXPECT_EQ(forms[0], e164);
    for (const auto& form : forms) {
      EXPECT_EQ(normalized(form, country), e164) << form << " in " << country;
      EXPECT_EQ(std::count(forms.begin(), forms.end(), form), 1) << form;
    }
  }
}

TEST(PhoneNumber, CallerFormsOfANationalNumberIncludeItsNationalPrefix) {
  const auto german = caller_forms("+4930123456", "DE");
  EXPECT_NE(std::find(german.begin(), german.end(), "030123456"), german.end());
  EXPECT_NE(std::find(german.begin(), german.end(), "004930123456"), german.end());
  const auto italian = caller_forms("+390612345678", "IT");
  EXPECT_NE(std::find(italian.begin(), italian.end(), "0612345678"), italian.end());
}

TEST(PhoneNumber, CallerFormsOfNoNumberAreNone) {
  EXPECT_TRUE(caller_forms("anonymous", "SE").empty());
  EXPECT_TRUE(caller_forms("0701234567", "SE").empty());
}

}  // namespace
}  // namespace callsight
