#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/json_writer.hpp"
#include "api/render.hpp"
#include "core/source.hpp"
#include "store/source_store.hpp"

// What a source and a pool (a source of kind dynamic) share on the wire: the name, medium and
// routing settings, read from a request, checked against what they refer to, and rendered.
// One reading for both, so a pool routes calls exactly as a source configured alike would.
namespace callsight::api {

// The settings both take on create and change. A source also takes its activation
// ("timestamp") and "expire"; a pool takes neither, since its numbers come and go on their own.
extern const std::initializer_list<std::string_view> kSourceSettingFields;

// Applies the fields of kSourceSettingFields (and "timestamp", "expire") the request gives;
// presence says whether a create's mandatory ones must be there.
void apply_source_fields(Fields& fields, const Context& ctx, Presence presence, Source& source);

// A campaign_id or vm_greeting_id given in this request must name the source's customer's
// campaign, or a greeting of that customer or of the system. 400 naming the field otherwise.
void check_source_references(const Context& ctx, ChangeLookups& lookups, const Source& source);

// Which tracking number to take from the inventory: "destnr" (exactly) or "ndc" (area code).
NumberRequest read_number_request(Fields& fields, const Context& ctx);

SourceStatus source_status(const Context& ctx, const Source& s);
// A source's JSON object: the fields in the reference's order, the status derived when read.
void write_source(JsonWriter& out, const Source& s, SourceStatus status);
// {"sources":[...]} with, for a list, "total", "page", "pagesize" and "numpages": the body
// written straight from the sources (bench/README.md, "The source read").
http::Response render_sources(const Context& ctx, std::span<const Source> sources,
                              std::optional<ListTotals> totals);
// write_source's object as Json, for answers that add to it (a pool is a source).
Json render_source(const Context& ctx, const Source& s);

}  // namespace callsight::api
