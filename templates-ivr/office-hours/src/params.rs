//! The parameter schema the template returns from `describe`: every name,
//! kind, label, help text and default. One component serves many tenants;
//! each route fills these in (or keeps the defaults) when it picks the
//! template.

use pbx_flow_sdk::{Description, Param};

/// The template's name, as routes and the portal show it.
pub const NAME: &str = "office-hours";

/// The template's own version (semver). Raise the minor version when a
/// parameter is added with a default, the major one when a parameter's
/// meaning changes.
pub const VERSION: &str = "1.0.0";

/// The menu keys that can carry a destination, each its own parameter
/// (`key-0` ... `key-9`) so that the portal shows one destination field
/// per key.
pub const MENU_KEYS: [char; 10] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/// Defaults of the menu keys; the other keys are unset (invalid choices).
const KEY_DEFAULTS: [(char, &str, &str); 5] = [
    ('1', "extension:1001", "Key 1"),
    ('2', "extension:1002", "Key 2"),
    ('3', "queue:support", "Key 3"),
    ('8', "voicemail:1001", "Key 8"),
    ('0', "extension:1003", "Key 0 (operator)"),
];

/// The prompt parameters: (name, default prompt, label, help).
pub const PROMPTS: [(&str, &str, &str, &str); 13] = [
    (
        "greeting-prompt",
        "office-welcome",
        "Greeting",
        "Played to every caller once the call is answered.",
    ),
    (
        "menu-prompt",
        "office-menu",
        "Menu",
        "Lists the keys; the caller may press a key while it plays.",
    ),
    (
        "closed-prompt",
        "office-closed",
        "Closed message",
        "Outside the schedule's hours (nights, weekends, lunch breaks).",
    ),
    (
        "holiday-prompt",
        "office-holiday",
        "Holiday message",
        "On a day of the holiday calendar.",
    ),
    (
        "closure-prompt",
        "office-closure",
        "Exceptional closure message",
        "On a day of the closures calendar.",
    ),
    (
        "night-prompt",
        "office-night",
        "Night switch message",
        "While the night switch is on. The feature code can be entered during it.",
    ),
    (
        "invalid-prompt",
        "office-invalid",
        "Invalid choice",
        "After a key that leads nowhere, or a wrong feature code or PIN.",
    ),
    (
        "timeout-prompt",
        "office-timeout",
        "No choice",
        "When the caller pressed nothing in time.",
    ),
    (
        "goodbye-prompt",
        "office-goodbye",
        "Goodbye",
        "Before the template hangs up.",
    ),
    (
        "transfer-prompt",
        "office-transfer",
        "Transfer",
        "Before ringing an extension or joining a queue.",
    ),
    (
        "pin-prompt",
        "enter-pin",
        "PIN request",
        "Asks for the night switch PIN after the feature code.",
    ),
    (
        "night-on-prompt",
        "night-switch-on",
        "Night switch on",
        "Confirms that the night switch is now on.",
    ),
    (
        "night-off-prompt",
        "night-switch-off",
        "Night switch off",
        "Confirms that the night switch is now off.",
    ),
];

/// The description returned by `describe`.
pub fn description() -> Description {
    let mut d = Description::new(NAME, VERSION)
        .summary(
            "Office hours IVR: a greeting, then, in this order, the night switch, incident flags, \
             exceptional closures, holidays and the weekly schedule decide whether the caller \
             hears a message (and reaches voicemail) or a menu of keys leading to extensions, \
             a queue or voicemail. Staff toggle the night switch from the menu with a feature \
             code and a PIN.",
        )
        .param(
            Param::schedule("schedule")
                .label("Office hours")
                .help("Weekly opening hours, several ranges per day, in the tenant's time zone.")
                .default_text("office-hours"),
        )
        .param(
            Param::holiday_calendar("holidays")
                .label("Holiday calendar")
                .help("Closed all day on its holidays (fixed dates and Easter-based feasts). Empty: none.")
                .default_text("holidays"),
        )
        .param(
            Param::holiday_calendar("closures")
                .label("Exceptional closures")
                .help("A calendar of one-off closing days (inventory, move, training); they have their own message. Empty: none.")
                .default_text("closures"),
        )
        .param(
            Param::text_list("incidents")
                .label("Incident flags")
                .help(
                    "One entry per flag: FLAG=prompt:NAME plays that prompt and hangs up; \
                     FLAG=extension:NUMBER, FLAG=queue:NAME or FLAG=voicemail:BOX sends the \
                     caller there. No spaces. When several flags are active, the first in this \
                     list wins.",
                )
                .default_list(["outage=prompt:office-incident"]),
        );
    for (name, default, label, help) in PROMPTS {
        d = d.param(
            Param::prompt(name)
                .label(label)
                .help(help)
                .default_text(default),
        );
    }
    for key in MENU_KEYS {
        let name = format!("key-{key}");
        let param = Param::destination(&name).help(
            "Where this key leads: extension:NUMBER (busy or no answer: its voicemail), \
             queue:NAME (queue unavailable: voicemail), or voicemail:BOX. Empty: invalid key.",
        );
        d = d.param(match KEY_DEFAULTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, default, label)) => param.label(label).default_text(default),
            None => param.label(&format!("Key {key}")).optional(),
        });
    }
    d.param(
        Param::text("repeat-key")
            .label("Repeat key")
            .help("Plays the menu again; not counted as a retry. One of 0-9 * #, or empty for none.")
            .default_text("9"),
    )
    .param(
        Param::integer("menu-retries")
            .label("Attempts")
            .help("Invalid keys, wrong codes and silences allowed before goodbye (1-10).")
            .default_integer(3),
    )
    .param(
        Param::integer("first-digit-timeout-ms")
            .label("Wait for a key (ms)")
            .help("After the menu prompt ends (1000-60000).")
            .default_integer(5000),
    )
    .param(
        Param::integer("inter-digit-timeout-ms")
            .label("Wait between keys (ms)")
            .help("Within the feature code and the PIN (500-30000).")
            .default_integer(3000),
    )
    .param(
        Param::integer("ring-timeout-ms")
            .label("Ring time (ms)")
            .help("How long an extension rings before its voicemail (1000-600000).")
            .default_integer(20000),
    )
    .param(
        Param::text("closed-action")
            .label("When closed")
            .help("After the closed, holiday, closure or night message: voicemail or hangup.")
            .default_text("voicemail"),
    )
    .param(
        Param::voicemail_box("voicemail-box")
            .label("General voicemail")
            .help("When closed, when the queue cannot take the call, and for extensions without a box of their own.")
            .default_text("1001"),
    )
    .param(
        Param::text("night-code")
            .label("Night switch feature code")
            .help("Entered in the menu or during the night message, e.g. *0; starts with * or #, up to 8 keys. Empty: no feature code.")
            .default_text("*0"),
    )
    .param(
        Param::text("night-pin")
            .label("Night switch PIN")
            .help("Digits asked after the feature code (1-16 digits). Change the default.")
            .default_text("1234"),
    )
    .param(
        Param::text("night-switch-key")
            .label("Night switch storage key")
            .help("Key-value entry holding the switch (\"on\" or \"off\"); routes sharing it share one switch.")
            .default_text("office-hours/night"),
    )
}
