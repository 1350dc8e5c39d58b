// The reference auto-attendant, in C++.
//
// Greeting; when the office is closed (outside the schedule's hours, or a
// holiday of the calendar) a closed message and the general voicemail box;
// otherwise a one-key menu whose keys lead to extensions, queues or
// voicemail boxes, with a repeat key and a bounded number of retries on
// invalid or missing input. Every decision is logged to the call's trace.
//
// Same behaviour as scripts/rust/auto-attendant: same description, same
// host calls in the same order, same trace events and record fields.
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

/// Why the office is closed right now, or none when it is open.
Result<std::optional<std::string>> closed_reason() {
    if (auto calendar = config::Text("holidays")) {
        auto holiday = PBX_TRY(::pbx::flow::holidays::Today(*calendar));
        if (holiday)
            return "holiday: " + holiday->name.to_string();
    }
    auto status = PBX_TRY(::pbx::flow::schedule::Status(text("schedule")));
    if (status.open)
        return std::nullopt;
    using R = ::pbx::flow::schedule::ClosedReason;
    if (status.reason) {
        if (auto *h = std::get_if<R::Holiday>(&status.reason->variants))
            return "holiday: " + h->value.to_string();
        if (auto *c = std::get_if<R::Closure>(&status.reason->variants))
            return "closure: " + c->value.to_string();
    }
    return std::string("outside hours");
}

/// Send the caller to the destination they chose.
Result<void> route(Destination const &destination) {
    auto const &target = destination.value;
    switch (destination.kind) {
    case Destination::Kind::Extension: {
        auto ring = static_cast<uint32_t>(std::clamp<int64_t>(config::Integer("ring-seconds").value_or(20), 5, 120));
        auto outcome = PBX_TRY(call::DialExtension(target, ring * 1000));
        log::Info("dial-outcome", {{"extension", target}, {"outcome", ToText(outcome)}});
        if (std::holds_alternative<wcall::DialOutcome::Answered>(outcome.variants))
            return {};
        auto greeting = std::holds_alternative<wcall::DialOutcome::Busy>(outcome.variants) ? Greeting::kBusy
                                                                                           : Greeting::kUnavailable;
        PBX_TRY(call::Voicemail(target, greeting));
        break;
    }
    case Destination::Kind::Voicemail:
        PBX_TRY(call::Voicemail(target, Greeting::kUnavailable));
        break;
    case Destination::Kind::Queue: {
        auto exit = PBX_TRY(call::Enqueue(target, 300000));
        log::Info("queue-exit", {{"queue", target}, {"exit", ToText(exit)}});
        if (!std::holds_alternative<wcall::QueueExit::Answered>(exit.variants))
            PBX_TRY(call::Voicemail(text("voicemail-box"), Greeting::kUnavailable));
        break;
    }
    case Destination::Kind::External:
        PBX_TRY(call::DialExternal(target));
        break;
    case Destination::Kind::Hangup:
        break;
    }
    return call::Hangup();
}

/// The open-hours menu, with retries.
Result<void> menu() {
    auto keys = ParseKeyMap(config::List("menu"));
    auto repeat = FirstChar(text("repeat-key"));
    auto attempts = std::clamp<int64_t>(config::Integer("retries").value_or(3), 1, 10);
    int64_t failures = 0, repeats = 0;
    while (failures < attempts && repeats < 10) {
        auto digits = PBX_TRY(call::PlayCollect(text("menu-prompt"), 1));
        auto key = FirstChar(digits);
        if (!key) {
            failures++;
            log::Info("no-input", {{"attempt", std::to_string(failures)}});
            continue;
        }
        if (key == repeat) {
            repeats++;
            log::Info("repeat");
            continue;
        }
        auto key_text = Utf8(*key);
        auto entry = std::find_if(keys.begin(), keys.end(), [&](auto const &e) { return e.first == *key; });
        if (entry != keys.end()) {
            log::Info("menu-choice", {{"key", key_text}, {"destination", entry->second.ToString()}});
            PBX_TRY(call::SetField("menu-choice", key_text));
            return route(entry->second);
        }
        failures++;
        log::Info("invalid-choice", {{"key", key_text}, {"attempt", std::to_string(failures)}});
        PBX_TRY(call::Play({text("invalid-prompt")}));
    }
    log::Warn("retries-exhausted");
    PBX_TRY(call::SetField("outcome", "retries-exhausted"));
    PBX_TRY(call::Voicemail(text("voicemail-box"), Greeting::kNone));
    return call::Hangup();
}

} // namespace

namespace exports::pbx::flow::handler {

FlowDescription Describe() {
    return Description("auto-attendant", "1.0.0")
        .Summary("Greets callers, sends them to voicemail when the office is closed, and offers a one-key menu "
                 "when it is open.")
        .Add(Param("schedule", Kind::kSchedule).Label("Office hours").DefaultText("office"))
        .Add(Param("holidays", Kind::kHolidayCalendar)
                 .Label("Holiday calendar")
                 .Help("Closed all day on these holidays.")
                 .Optional())
        .Add(Param("greeting", Kind::kPrompt).Label("Greeting").DefaultText("welcome"))
        .Add(Param("closed-prompt", Kind::kPrompt).Label("Closed message").DefaultText("closed"))
        .Add(Param("menu-prompt", Kind::kPrompt).Label("Menu prompt").DefaultText("menu"))
        .Add(Param("invalid-prompt", Kind::kPrompt).Label("Invalid choice prompt").DefaultText("invalid"))
        .Add(Param("menu", Kind::kTextList)
                 .Label("Menu keys")
                 .Help("One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.")
                 .DefaultList({"1=ext:101", "2=ext:102", "9=vm:100"}))
        .Add(Param("repeat-key", Kind::kText).Label("Repeat key").DefaultText("*"))
        .Add(Param("voicemail-box", Kind::kVoicemailBox).Label("General voicemail").DefaultText("100"))
        .Add(Param("retries", Kind::kInteger).Label("Attempts").DefaultInteger(3))
        .Add(Param("ring-seconds", Kind::kInteger).Label("Ring time").DefaultInteger(20))
        .ToWit();
}

std::expected<void, ::pbx::flow::types::Error> HandleCall() {
    auto info = wcall::Info();
    log::Info("call", {{"caller", info.caller_number.get_view()}, {"dialled", info.dialled_number.get_view()}});
    PBX_TRY(call::Answer());
    PBX_TRY(call::Play({text("greeting")}));

    auto why = PBX_TRY(closed_reason());
    if (why) {
        log::Info("closed", {{"reason", *why}});
        PBX_TRY(call::SetField("outcome", "closed"));
        PBX_TRY(call::Play({text("closed-prompt")}));
        PBX_TRY(call::Voicemail(text("voicemail-box"), Greeting::kNone));
        return call::Hangup();
    }
    return menu();
}

} // namespace exports::pbx::flow::handler
