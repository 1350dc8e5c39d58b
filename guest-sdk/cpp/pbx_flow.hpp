// pbx_flow.hpp: a thin header-only layer over the C++ bindings that
// `wit-bindgen cpp` generates from wit/ (flow_cpp.h), for call flows
// written in C++23.
//
// What it adds to the raw bindings:
//   - `Result<T>` (std::expected with the contract's error) and `PBX_TRY`,
//     which unwraps a result or returns its error, like `?` in Rust;
//   - typed config getters (`config::Text`, `config::Integer`,
//     `config::List`) returning std types;
//   - destinations written as text ("ext:101", "queue:sales", "vm:100",
//     "tel:+33...", "hangup") and one-key menu maps ("1=ext:101");
//   - one-line trace events (`log::Info("menu-choice", {{"key", "1"}})`);
//   - the call actions with the same defaults as the Rust SDK (collect: `#`
//     ends input, 5 s first digit, 3 s between digits; dial: simultaneous);
//   - a `describe` builder;
//   - `ToText` of outcomes, written as the Rust SDK's `{:?}` writes them.
//
// A flow defines `exports::pbx::flow::handler::Describe()` and
// `exports::pbx::flow::handler::HandleCall()` (declared in flow_cpp.h).
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "flow_cpp.h"

namespace pbxsdk {

namespace wcall = ::pbx::flow::call;
namespace wconfig = ::pbx::flow::config;
namespace wlog = ::pbx::flow::log;
namespace whandler = ::exports::pbx::flow::handler;

/// The contract's error variant (hangup, not-found, ...).
using Error = ::pbx::flow::types::Error;

/// What every fallible call returns.
template <class T> using Result = std::expected<T, Error>;

/// Unwrap a `Result`, or return its error from the enclosing function
/// (which must return a `Result`). A GNU statement expression: clang and
/// `zig c++` accept it.
#define PBX_TRY(expr)                                            \
    ({                                                           \
        auto &&pbx_try_result_ = (expr);                         \
        if (!pbx_try_result_)                                    \
            return std::unexpected(std::move(pbx_try_result_).error()); \
        *std::move(pbx_try_result_);                             \
    })

// ---- text ------------------------------------------------------------------

/// The first character of `s` (UTF-8 decoded); none when empty or invalid.
inline std::optional<char32_t> FirstChar(std::string_view s) {
    if (s.empty())
        return std::nullopt;
    auto b0 = static_cast<unsigned char>(s[0]);
    if (b0 < 0x80)
        return b0;
    size_t extra = (b0 & 0xE0) == 0xC0 ? 1 : (b0 & 0xF0) == 0xE0 ? 2 : (b0 & 0xF8) == 0xF0 ? 3 : 0;
    if (extra == 0 || s.size() <= extra)
        return std::nullopt;
    char32_t ch = b0 & (0x3F >> extra);
    for (size_t i = 1; i <= extra; i++) {
        auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0) != 0x80)
            return std::nullopt;
        ch = (ch << 6) | (b & 0x3F);
    }
    return ch;
}

/// `ch` encoded as UTF-8.
inline std::string Utf8(char32_t ch) {
    std::string out;
    if (ch < 0x80) {
        out += static_cast<char>(ch);
    } else if (ch < 0x800) {
        out += static_cast<char>(0xC0 | (ch >> 6));
        out += static_cast<char>(0x80 | (ch & 0x3F));
    } else if (ch < 0x10000) {
        out += static_cast<char>(0xE0 | (ch >> 12));
        out += static_cast<char>(0x80 | ((ch >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (ch & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (ch >> 18));
        out += static_cast<char>(0x80 | ((ch >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((ch >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (ch & 0x3F));
    }
    return out;
}

/// A component-model string owning a copy of `s`.
inline wit::string WitString(std::string_view s) {
    return wit::string::from_view(s);
}

// ---- config: the route's parameters ----------------------------------------

namespace config {

/// A text-valued parameter (text, prompt, schedule, ...); none if absent.
inline std::optional<std::string> Text(std::string_view name) {
    auto v = wconfig::Get(name);
    if (!v)
        return std::nullopt;
    if (auto *t = std::get_if<wconfig::Value::Text>(&v->variants))
        return t->value.to_string();
    return std::nullopt;
}

/// An integer parameter; none if absent or not an integer.
inline std::optional<int64_t> Integer(std::string_view name) {
    auto v = wconfig::Get(name);
    if (!v)
        return std::nullopt;
    if (auto *i = std::get_if<wconfig::Value::Integer>(&v->variants))
        return i->value;
    return std::nullopt;
}

/// A text-list parameter; empty if absent or not a list.
inline std::vector<std::string> List(std::string_view name) {
    std::vector<std::string> out;
    auto v = wconfig::Get(name);
    if (!v)
        return out;
    if (auto *l = std::get_if<wconfig::Value::TextList>(&v->variants))
        for (auto const &s : l->value.get_const_view())
            out.push_back(s.to_string());
    return out;
}

} // namespace config

// ---- destinations ----------------------------------------------------------

/// Where a call can be sent, as admins write it in parameters.
struct Destination {
    /// What kind of place it is.
    enum class Kind { Extension, Queue, Voicemail, External, Hangup };
    Kind kind;
    /// Number, queue name or box; empty for hangup.
    std::string value;

    /// Parse "ext:101", "101", "queue:sales", "vm:100", "tel:+33...",
    /// "hangup" (surrounding whitespace ignored); none otherwise.
    static std::optional<Destination> Parse(std::string_view text) {
        auto s = Trim(text);
        if (s == "hangup")
            return Destination{Kind::Hangup, ""};
        if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos)
            return Destination{Kind::Extension, std::string(s)};
        auto colon = s.find(':');
        if (colon == std::string_view::npos || colon + 1 == s.size())
            return std::nullopt;
        auto prefix = s.substr(0, colon);
        auto rest = std::string(s.substr(colon + 1));
        if (prefix == "ext")
            return Destination{Kind::Extension, rest};
        if (prefix == "queue")
            return Destination{Kind::Queue, rest};
        if (prefix == "vm")
            return Destination{Kind::Voicemail, rest};
        if (prefix == "tel")
            return Destination{Kind::External, rest};
        return std::nullopt;
    }

    /// Written back as text ("ext:101").
    std::string ToString() const {
        switch (kind) {
        case Kind::Extension: return "ext:" + value;
        case Kind::Queue: return "queue:" + value;
        case Kind::Voicemail: return "vm:" + value;
        case Kind::External: return "tel:" + value;
        case Kind::Hangup: break;
        }
        return "hangup";
    }

    /// `s` without surrounding ASCII whitespace.
    static std::string_view Trim(std::string_view s) {
        constexpr std::string_view ws = " \t\n\r\f\v";
        auto start = s.find_first_not_of(ws);
        if (start == std::string_view::npos)
            return {};
        return s.substr(start, s.find_last_not_of(ws) - start + 1);
    }
};

/// A one-key menu, in the order the entries were written.
using KeyMap = std::vector<std::pair<char32_t, Destination>>;

/// Parse entries such as "1=ext:101", "9 = vm:100", skipping unreadable
/// ones (a key must be exactly one character).
inline KeyMap ParseKeyMap(std::vector<std::string> const &entries) {
    KeyMap out;
    for (auto const &e : entries) {
        auto eq = e.find('=');
        if (eq == std::string::npos)
            continue;
        auto key_text = Destination::Trim(std::string_view(e).substr(0, eq));
        auto key = FirstChar(key_text);
        if (!key || Utf8(*key) != key_text)
            continue;
        if (auto d = Destination::Parse(std::string_view(e).substr(eq + 1)))
            out.emplace_back(*key, std::move(*d));
    }
    return out;
}

// ---- log: events in the call's trace ---------------------------------------

namespace log {

/// Key/value fields of an event.
using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Record event `name` at `level`. Never fails.
inline void Event(wlog::Level level, std::string_view name, Fields fields = {}) {
    std::vector<std::tuple<std::string_view, std::string_view>> pairs;
    for (auto const &[k, v] : fields)
        pairs.emplace_back(k, v);
    wlog::Event(level, name, pairs);
}

/// Debug-level event.
inline void Debug(std::string_view name, Fields fields = {}) { Event(wlog::Level::kDebug, name, fields); }
/// Info-level event: a decision ("menu-choice", "closed").
inline void Info(std::string_view name, Fields fields = {}) { Event(wlog::Level::kInfo, name, fields); }
/// Warning: something unexpected the flow handled.
inline void Warn(std::string_view name, Fields fields = {}) { Event(wlog::Level::kWarn, name, fields); }
/// Error: something the flow could not handle.
inline void Err(std::string_view name, Fields fields = {}) { Event(wlog::Level::kError, name, fields); }

} // namespace log

// ---- call control ----------------------------------------------------------

namespace call {

/// Default ring time of a dial without one (as the Rust SDK).
inline constexpr uint32_t kDefaultRingMs = 30000;

/// Answer the call (SIP 200 OK).
inline Result<void> Answer() { return wcall::Answer(); }

/// Play prompts to the end; key presses are discarded.
inline Result<void> Play(std::initializer_list<std::string_view> prompts) {
    std::vector<std::string_view> list(prompts);
    auto r = wcall::Play(list, false);
    if (!r)
        return std::unexpected(std::move(r).error());
    return {};
}

/// Play `prompt` as a menu, interruptible, then collect up to `max_digits`
/// digits (`#` ends input, 5 s first digit, 3 s between digits). Empty on
/// timeout.
inline Result<std::string> PlayCollect(std::string_view prompt, uint8_t max_digits) {
    auto prompts = wit::vector<wit::string>::allocate(1);
    prompts.initialize(0, WitString(prompt));
    wcall::CollectOptions options{max_digits, U'#', 5000, 3000, std::move(prompts)};
    auto got = PBX_TRY(wcall::Collect(std::move(options)));
    return got.digits.to_string();
}

namespace detail {

// `call.dial` through its canonical ABI directly. The generated
// `pbx::flow::call::Dial` (wit-bindgen-cli 0.63) lowers `list<dial-target>`
// in place over the C++ objects and writes each variant's tag before it
// reads the string pointer that the tag overwrites: the host then sees a
// corrupt pointer and the flow traps ("string pointer/length out of
// bounds"). This lowers into a separate array instead and lifts the result
// the way the bindings do.
extern "C" __attribute__((import_module("pbx:flow/call@0.1.0"), import_name("dial"))) void
pbxsdk_import_dial(uint8_t *targets, size_t n, int32_t strategy, int32_t ring_ms, int32_t has_caller_id,
                   uint8_t *number, size_t number_len, int32_t has_name, uint8_t *name, size_t name_len,
                   uint8_t *ret);

/// A dial target as the canonical ABI lays it out (tag, string).
struct RawTarget {
    uint8_t tag;
    uint8_t const *ptr;
    size_t len;
};

/// A string the host allocated (with cabi_realloc) at `area + offset`.
inline wit::string LiftString(uint8_t const *area, size_t offset) {
    auto ptr = *reinterpret_cast<char const *const *>(area + offset);
    auto len = *reinterpret_cast<size_t const *>(area + offset + sizeof(void *));
    return wit::string(ptr, len);
}

/// The contract's error variant at `area + 4` (tag, then its string).
inline Error LiftError(uint8_t const *area) {
    using E = Error;
    switch (area[4]) {
    case 0: return E{E::Hangup{}};
    case 1: return E{E::InvalidState{LiftString(area, 8)}};
    case 2: return E{E::NotFound{LiftString(area, 8)}};
    case 3: return E{E::InvalidArgument{LiftString(area, 8)}};
    case 4: return E{E::PermissionDenied{LiftString(area, 8)}};
    case 5: return E{E::LimitExceeded{LiftString(area, 8)}};
    default: return E{E::Unavailable{LiftString(area, 8)}};
    }
}

} // namespace detail

/// Ring one target for `ring_ms` (simultaneous, the caller's own caller id).
inline Result<wcall::DialOutcome> Dial(wcall::DialTarget const &target, uint32_t ring_ms = kDefaultRingMs) {
    using D = wcall::DialOutcome;
    using T = wcall::DialTarget;
    detail::RawTarget raw{};
    if (auto *e = std::get_if<T::Extension>(&target.variants))
        raw = {0, reinterpret_cast<uint8_t const *>(e->value.data()), e->value.size()};
    else if (auto *x = std::get_if<T::External>(&target.variants))
        raw = {1, reinterpret_cast<uint8_t const *>(x->value.data()), x->value.size()};
    // result<dial-outcome, error>: 28 bytes, 4-aligned.
    alignas(4) uint8_t area[28] = {};
    detail::pbxsdk_import_dial(reinterpret_cast<uint8_t *>(&raw), 1,
                               static_cast<int32_t>(wcall::RingStrategy::kSimultaneous),
                               static_cast<int32_t>(ring_ms), 0, nullptr, 0, 0, nullptr, 0, area);
    if (area[0] != 0)
        return std::unexpected(detail::LiftError(area));
    switch (area[4]) {
    case 0: {
        auto number = detail::LiftString(area, 12);
        T answered = area[8] == 0 ? T{T::Extension{std::move(number)}} : T{T::External{std::move(number)}};
        auto talk_ms = *reinterpret_cast<uint32_t const *>(area + 20);
        auto side = static_cast<wcall::HangupSide>(area[24]);
        return D{D::Answered{wcall::AnsweredCall{std::move(answered), talk_ms, side}}};
    }
    case 1: return D{D::Busy{}};
    case 2: return D{D::NoAnswer{}};
    case 3: return D{D::Unavailable{}};
    case 4: return D{D::Rejected{}};
    default: return D{D::Failed{detail::LiftString(area, 8)}};
    }
}

/// Ring extension `number`.
inline Result<wcall::DialOutcome> DialExtension(std::string_view number, uint32_t ring_ms = kDefaultRingMs) {
    return Dial(wcall::DialTarget{wcall::DialTarget::Extension{WitString(number)}}, ring_ms);
}

/// Ring external `number`.
inline Result<wcall::DialOutcome> DialExternal(std::string_view number, uint32_t ring_ms = kDefaultRingMs) {
    return Dial(wcall::DialTarget{wcall::DialTarget::External{WitString(number)}}, ring_ms);
}

/// Wait in `queue` at most `max_wait_ms`.
inline Result<wcall::QueueExit> Enqueue(std::string_view queue, uint32_t max_wait_ms) {
    return wcall::Enqueue(
        wcall::EnqueueOptions{WitString(queue), max_wait_ms, std::nullopt, WitString(""), 0, std::nullopt});
}

/// Let the caller leave a message in `box`.
inline Result<wcall::VoicemailOutcome> Voicemail(std::string_view box, wcall::VoicemailGreeting greeting) {
    return wcall::Voicemail(box, greeting);
}

/// End the call.
inline Result<void> Hangup(wcall::HangupCause cause = wcall::HangupCause::kNormal) {
    return wcall::Hangup(cause);
}

/// Set a field on the call record (e.g. "menu-choice").
inline Result<void> SetField(std::string_view name, std::string_view value) {
    return wcall::SetRecordField(name, value);
}

} // namespace call

// ---- outcomes as text ------------------------------------------------------

namespace detail {

/// `ch` escaped as Rust's Debug escapes it inside `quote`.
inline std::string Escape(char32_t ch, char quote) {
    switch (ch) {
    case U'\n': return "\\n";
    case U'\r': return "\\r";
    case U'\t': return "\\t";
    case U'\\': return "\\\\";
    case U'\0': return "\\0";
    default: break;
    }
    if (ch == static_cast<char32_t>(quote))
        return std::string("\\") + quote;
    if (ch < 0x20 || ch == 0x7F) {
        static constexpr char hex[] = "0123456789abcdef";
        std::string digits;
        for (char32_t v = ch; v != 0 || digits.empty(); v >>= 4)
            digits.insert(digits.begin(), hex[v & 0xF]);
        return "\\u{" + digits + "}";
    }
    return Utf8(ch);
}

/// A string in double quotes, Debug-escaped (non-ASCII passes through).
inline std::string Quoted(wit::string const &s) {
    std::string out = "\"";
    for (char c : s.get_view()) {
        auto b = static_cast<unsigned char>(c);
        out += b < 0x80 ? Escape(b, '"') : std::string(1, c);
    }
    return out + "\"";
}

inline std::string AnsweredText(wcall::AnsweredCall const &a) {
    std::string target;
    if (auto *e = std::get_if<wcall::DialTarget::Extension>(&a.target.variants))
        target = "DialTarget::Extension(" + Quoted(e->value) + ")";
    else
        target = "DialTarget::External(" +
                 Quoted(std::get<wcall::DialTarget::External>(a.target.variants).value) + ")";
    return "AnsweredCall { target: " + target + ", talk-ms: " + std::to_string(a.talk_ms) +
           ", ended-by: HangupSide::" + (a.ended_by == wcall::HangupSide::kCaller ? "Caller" : "Callee") + " }";
}

} // namespace detail

/// A dial outcome written as the Rust SDK's `{:?}` writes it, e.g.
/// "DialOutcome::Busy", so traces read the same in every language.
inline std::string ToText(wcall::DialOutcome const &o) {
    using D = wcall::DialOutcome;
    std::string body;
    if (auto *a = std::get_if<D::Answered>(&o.variants))
        body = "Answered(" + detail::AnsweredText(a->value) + ")";
    else if (std::holds_alternative<D::Busy>(o.variants))
        body = "Busy";
    else if (std::holds_alternative<D::NoAnswer>(o.variants))
        body = "NoAnswer";
    else if (std::holds_alternative<D::Unavailable>(o.variants))
        body = "Unavailable";
    else if (std::holds_alternative<D::Rejected>(o.variants))
        body = "Rejected";
    else
        body = "Failed(" + detail::Quoted(std::get<D::Failed>(o.variants).value) + ")";
    return "DialOutcome::" + body;
}

/// A queue exit written as the Rust SDK's `{:?}` writes it.
inline std::string ToText(wcall::QueueExit const &e) {
    using Q = wcall::QueueExit;
    std::string body;
    if (auto *a = std::get_if<Q::Answered>(&e.variants))
        body = "Answered(" + detail::AnsweredText(a->value) + ")";
    else if (std::holds_alternative<Q::Timeout>(e.variants))
        body = "Timeout";
    else if (auto *k = std::get_if<Q::ExitKey>(&e.variants))
        body = "ExitKey('" + detail::Escape(k->value, '\'') + "')";
    else if (std::holds_alternative<Q::NoAgents>(e.variants))
        body = "NoAgents";
    else if (std::holds_alternative<Q::Full>(e.variants))
        body = "Full";
    else
        body = "Unavailable";
    return "QueueExit::" + body;
}

// ---- describe --------------------------------------------------------------

/// One parameter of the description; chain the setters.
class Param {
  public:
    /// A required parameter without default; its label is its name until set.
    Param(std::string_view name, whandler::ParamKind kind) : name_(name), label_(name), kind_(kind) {}

    /// Short label for forms.
    Param &&Label(std::string_view label) && { label_ = label; return std::move(*this); }
    /// Help text for forms.
    Param &&Help(std::string_view help) && { help_ = help; return std::move(*this); }
    /// Not required.
    Param &&Optional() && { required_ = false; return std::move(*this); }
    /// A text default (makes the parameter optional).
    Param &&DefaultText(std::string_view v) && { kind_default_ = Text{std::string(v)}; required_ = false; return std::move(*this); }
    /// An integer default (makes the parameter optional).
    Param &&DefaultInteger(int64_t v) && { kind_default_ = v; required_ = false; return std::move(*this); }
    /// A boolean default (makes the parameter optional).
    Param &&DefaultBoolean(bool v) && { kind_default_ = v; required_ = false; return std::move(*this); }
    /// A text-list default (makes the parameter optional).
    Param &&DefaultList(std::vector<std::string> v) && { kind_default_ = std::move(v); required_ = false; return std::move(*this); }

    /// As the contract's record.
    whandler::ParamSpec ToWit() const {
        std::optional<wconfig::Value> dflt;
        if (auto *t = std::get_if<Text>(&kind_default_))
            dflt = wconfig::Value{wconfig::Value::Text{WitString(t->value)}};
        else if (auto *i = std::get_if<int64_t>(&kind_default_))
            dflt = wconfig::Value{wconfig::Value::Integer{*i}};
        else if (auto *b = std::get_if<bool>(&kind_default_))
            dflt = wconfig::Value{wconfig::Value::Boolean{*b}};
        else if (auto *l = std::get_if<std::vector<std::string>>(&kind_default_)) {
            auto list = wit::vector<wit::string>::allocate(l->size());
            for (size_t i = 0; i < l->size(); i++)
                list.initialize(i, WitString((*l)[i]));
            dflt = wconfig::Value{wconfig::Value::TextList{std::move(list)}};
        }
        return whandler::ParamSpec{WitString(name_), WitString(label_), WitString(help_), kind_, required_,
                                   std::move(dflt)};
    }

  private:
    /// A text default, distinct from a bool or an integer in the variant.
    struct Text {
        std::string value;
    };
    std::string name_, label_, help_;
    whandler::ParamKind kind_;
    bool required_ = true;
    std::variant<std::monostate, Text, int64_t, bool, std::vector<std::string>> kind_default_;
};

/// What `describe` returns: name, semver version, summary, parameters.
class Description {
  public:
    Description(std::string_view name, std::string_view version) : name_(name), version_(version) {}

    /// One paragraph for admins.
    Description &&Summary(std::string_view text) && { summary_ = text; return std::move(*this); }
    /// Add a parameter.
    Description &&Add(Param p) && { params_.push_back(std::move(p)); return std::move(*this); }

    /// As the contract's record.
    whandler::FlowDescription ToWit() const {
        auto params = wit::vector<whandler::ParamSpec>::allocate(params_.size());
        for (size_t i = 0; i < params_.size(); i++)
            params.initialize(i, params_[i].ToWit());
        return whandler::FlowDescription{WitString(name_), WitString(version_), WitString(summary_),
                                         std::move(params)};
    }

  private:
    std::string name_, version_, summary_;
    std::vector<Param> params_;
};

} // namespace pbxsdk
