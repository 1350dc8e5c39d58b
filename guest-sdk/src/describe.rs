//! What a flow says about itself: name, version, summary and parameters.

use crate::bindings::exports::pbx::flow::handler::{FlowDescription, ParamKind, ParamSpec};
use crate::bindings::pbx::flow::config::Value;

/// A flow's description, built fluently.
///
/// ```
/// use pbx_flow_sdk::{Description, Param};
///
/// let d = Description::new("office-hours", "1.0.0")
///     .summary("Routes calls by office hours.")
///     .param(Param::schedule("schedule").label("Office hours").default_text("office"))
///     .param(Param::integer("retries").default_integer(3));
/// let wit = d.into_wit();
/// assert_eq!(wit.params.len(), 2);
/// assert_eq!(wit.params[0].name, "schedule");
/// assert!(!wit.params[0].required);
/// ```
#[derive(Debug, Clone)]
pub struct Description {
    inner: FlowDescription,
}

impl Description {
    /// A flow named `name` (a-z, 0-9, '-') at `version` (semver).
    pub fn new(name: &str, version: &str) -> Self {
        Description {
            inner: FlowDescription {
                name: name.to_string(),
                version: version.to_string(),
                description: String::new(),
                params: Vec::new(),
            },
        }
    }

    /// One paragraph for admins.
    pub fn summary(mut self, text: &str) -> Self {
        self.inner.description = text.to_string();
        self
    }

    /// Add a parameter.
    pub fn param(mut self, p: Param) -> Self {
        self.inner.params.push(p.spec);
        self
    }

    /// The contract's record.
    pub fn into_wit(self) -> FlowDescription {
        self.inner
    }
}

/// One parameter. A parameter with a default is optional; one without is
/// required unless [`Param::optional`] says otherwise.
#[derive(Debug, Clone)]
pub struct Param {
    spec: ParamSpec,
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $fn:ident => $kind:ident),* $(,)?) => {
        impl Param {
            $($(#[$doc])* pub fn $fn(name: &str) -> Self {
                Param::new(name, ParamKind::$kind)
            })*
        }
    };
}

kinds! {
    /// Free text.
    text => Text,
    /// A whole number.
    integer => Integer,
    /// On/off.
    boolean => Boolean,
    /// An extension number.
    extension => Extension,
    /// A queue name.
    queue => Queue,
    /// A voicemail box.
    voicemail_box => VoicemailBox,
    /// A prompt name.
    prompt => Prompt,
    /// An office-hours schedule name.
    schedule => Schedule,
    /// A holiday calendar name.
    holiday_calendar => HolidayCalendar,
    /// An incident flag name.
    flag => Flag,
    /// A destination (`ext:101`, `queue:sales`, `vm:101`, `tel:...`).
    destination => Destination,
    /// A list of texts.
    text_list => TextList,
}

impl Param {
    fn new(name: &str, kind: ParamKind) -> Self {
        Param {
            spec: ParamSpec {
                name: name.to_string(),
                label: name.to_string(),
                help: String::new(),
                kind,
                required: true,
                default: None,
            },
        }
    }

    /// Label for forms.
    pub fn label(mut self, label: &str) -> Self {
        self.spec.label = label.to_string();
        self
    }

    /// Help text for forms.
    pub fn help(mut self, help: &str) -> Self {
        self.spec.help = help.to_string();
        self
    }

    /// Not required even without a default.
    pub fn optional(mut self) -> Self {
        self.spec.required = false;
        self
    }

    fn default(mut self, v: Value) -> Self {
        self.spec.default = Some(v);
        self.spec.required = false;
        self
    }

    /// Default for a text-valued kind.
    pub fn default_text(self, v: &str) -> Self {
        self.default(Value::Text(v.to_string()))
    }

    /// Default for an integer.
    pub fn default_integer(self, v: i64) -> Self {
        self.default(Value::Integer(v))
    }

    /// Default for a boolean.
    pub fn default_boolean(self, v: bool) -> Self {
        self.default(Value::Boolean(v))
    }

    /// Default for a text list.
    pub fn default_list<I, S>(self, v: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.default(Value::TextList(v.into_iter().map(Into::into).collect()))
    }
}
