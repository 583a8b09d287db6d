// The builder `buttonConfig` returns, in JavaScript because all it does is record: each setter
// call is kept, in order, and `build()` hands the list to the Rust side (`Configure::build` in
// src/lib.rs), which replays the calls and checks every value. Nothing is decided here. What a
// later change by the page could alter is copied at the call: the `intents` array, and
// `context` as its JSON text. The setters are numbered as `Setter` in src/lib.rs numbers them.

/** The builder `buttonConfig` returns. Every setter returns this same builder. */
export class ButtonConfigBuilder {
  #configure;
  #calls = [];

  constructor(configure, endpoint) {
    this.#configure = configure;
    this.#call(0, endpoint);
  }

  #call(setter, a, b) {
    this.#calls.push(setter, a, b);
    return this;
  }

  initiationMode(mode) {
    return this.#call(1, mode);
  }

  successUrl(url) {
    return this.#call(2, url);
  }

  declineUrl(url) {
    return this.#call(3, url);
  }

  handoff(kind) {
    return this.#call(4, kind);
  }

  timeoutMs(ms) {
    return this.#call(5, ms);
  }

  credentials(mode) {
    return this.#call(6, mode);
  }

  header(name, value) {
    return this.#call(7, name, value);
  }

  context(value) {
    let json;
    try {
      json = JSON.stringify(value);
    } catch {
      // A bigint or a cycle: `build()` says that context must be a JSON value.
    }
    return this.#call(8, json);
  }

  allowReturnOrigin(origin) {
    return this.#call(9, origin);
  }

  onOutcome(callback) {
    return this.#call(10, callback);
  }

  signal(signal) {
    return this.#call(11, signal);
  }

  shape(shape) {
    return this.#call(12, shape);
  }

  theme(theme) {
    return this.#call(13, theme);
  }

  locale(locale) {
    return this.#call(14, locale);
  }

  intents(intents) {
    return this.#call(15, Array.isArray(intents) ? Array.from(intents) : intents);
  }

  logoAlignment(alignment) {
    return this.#call(16, alignment);
  }

  id(id) {
    return this.#call(17, id);
  }

  build() {
    return this.#configure.build(this.#calls);
  }
}
