// What a flow says about itself: name, version, summary and parameters.

/** Builder for the `flow-description` record. */
export class Description {
  constructor(name, version) {
    this.inner = { name, version, description: '', params: [] };
  }

  /** One paragraph for admins. */
  summary(text) {
    this.inner.description = text;
    return this;
  }

  /** Add a parameter, in order. */
  param(p) {
    this.inner.params.push(p.spec);
    return this;
  }

  /** The record the `describe` export returns. */
  intoWit() {
    return this.inner;
  }
}

/**
 * Builder for one `param-spec`: required and labelled by its name until
 * told otherwise. Create one with a kind, e.g. `Param.prompt('greeting')`.
 */
export class Param {
  constructor(name, kind) {
    this.spec = { name, label: name, help: '', kind, required: true, default: undefined };
  }

  /** Short label for forms. */
  label(label) {
    this.spec.label = label;
    return this;
  }

  /** Help text for forms. */
  help(text) {
    this.spec.help = text;
    return this;
  }

  /** A route need not set it. */
  optional() {
    this.spec.required = false;
    return this;
  }

  withDefault(value) {
    this.spec.default = value;
    this.spec.required = false;
    return this;
  }

  /** Default text value (makes the parameter optional). */
  defaultText(v) {
    return this.withDefault({ tag: 'text', val: v });
  }

  /** Default integer value (makes the parameter optional). */
  defaultInteger(v) {
    return this.withDefault({ tag: 'integer', val: Number(v) });
  }

  /** Default boolean value (makes the parameter optional). */
  defaultBoolean(v) {
    return this.withDefault({ tag: 'boolean', val: v });
  }

  /** Default list value (makes the parameter optional). */
  defaultList(v) {
    return this.withDefault({ tag: 'text-list', val: [...v] });
  }
}

for (const [method, kind] of [
  ['text', 'text'],
  ['integer', 'integer'],
  ['boolean', 'boolean'],
  ['extension', 'extension'],
  ['queue', 'queue'],
  ['voicemailBox', 'voicemail-box'],
  ['prompt', 'prompt'],
  ['schedule', 'schedule'],
  ['holidayCalendar', 'holiday-calendar'],
  ['flag', 'flag'],
  ['destination', 'destination'],
  ['textList', 'text-list'],
]) {
  Param[method] = (name) => new Param(name, kind);
}
