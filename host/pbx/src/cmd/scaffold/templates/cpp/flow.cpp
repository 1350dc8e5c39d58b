// The @@name@@ call flow.
//
// Answers, plays a greeting, then a two-key menu: 1 rings an extension (its
// voicemail when nobody answers or it is busy), 2 goes straight to its
// voicemail; no key or another key also ends in voicemail. Each decision is
// logged to the call's trace.
//
// Host calls return a Result; PBX_TRY unwraps it or returns the error to
// the PBX, which ends the flow (a hangup is a normal end).
#include <algorithm>
#include <string>

#include "pbx_flow.hpp"

using namespace pbxsdk;
namespace wcall = ::pbx::flow::call;
using Kind = ::exports::pbx::flow::handler::ParamKind;
using Greeting = wcall::VoicemailGreeting;

namespace {

/// A text parameter; the schema gives every one used here a default.
std::string text(std::string_view name) {
    return config::Text(name).value_or("");
}

/// Ring the extension; its voicemail when nobody answers.
Result<void> ring(std::string const &extension) {
    auto seconds = static_cast<uint32_t>(std::clamp<int64_t>(config::Integer("ring-seconds").value_or(20), 5, 120));
    auto outcome = PBX_TRY(call::DialExtension(extension, seconds * 1000));
    log::Info("dial-outcome", {{"outcome", ToText(outcome)}});
    if (std::holds_alternative<wcall::DialOutcome::Answered>(outcome.variants))
        return {};
    auto greeting = std::holds_alternative<wcall::DialOutcome::Busy>(outcome.variants) ? Greeting::kBusy
                                                                                       : Greeting::kUnavailable;
    PBX_TRY(call::Voicemail(extension, greeting));
    return call::Hangup();
}

} // namespace

namespace exports::pbx::flow::handler {

FlowDescription Describe() {
    return Description("@@name@@", "0.1.0")
        .Summary("Greets callers; key 1 rings an extension, key 2 leaves a message.")
        .Add(Param("greeting", Kind::kPrompt).Label("Greeting").DefaultText("welcome"))
        .Add(Param("extension", Kind::kExtension).Label("Extension").DefaultText("101"))
        .Add(Param("ring-seconds", Kind::kInteger).Label("Ring time").DefaultInteger(20))
        .ToWit();
}

std::expected<void, ::pbx::flow::types::Error> HandleCall() {
    auto info = wcall::Info();
    log::Info("call", {{"caller", info.caller_number.get_view()}});
    PBX_TRY(call::Answer());
    PBX_TRY(call::Play({text("greeting")}));
    auto digits = PBX_TRY(call::PlayCollect("menu", 1));
    auto extension = text("extension");
    if (digits == "1") {
        log::Info("menu-choice", {{"key", "1"}});
        return ring(extension);
    }
    if (digits == "2") {
        log::Info("menu-choice", {{"key", "2"}});
        PBX_TRY(call::Voicemail(extension, Greeting::kUnavailable));
    } else {
        log::Info("no-choice", {{"digits", digits}});
        PBX_TRY(call::Voicemail(extension, Greeting::kNone));
    }
    return call::Hangup();
}

} // namespace exports::pbx::flow::handler
