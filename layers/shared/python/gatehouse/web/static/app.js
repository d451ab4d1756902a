// Gatehouse pages: one ES module, no build step, no third-party code. It renders the page the path
// names and talks to the JSON API with the session cookie (credentials: "same-origin"). Nothing is
// ever written with innerHTML: every text, including API messages and emails, goes in as text.

import en from "./i18n-en.js";
import fr from "./i18n-fr.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");

// ---- texts: one catalogue per language ---------------------------------------------------------
// The account's locale once signed in (GET /session); before that the choice remembered on this
// browser, else the browser's languages. English is the fallback for a key a catalogue lacks.
const CATALOGUES = { en, fr };
const LOCALE_KEY = "gatehouse.locale";
let locale = "en";
let signedIn = false;
let sessionChecked = false;

function t(key, values) {
  const text = CATALOGUES[locale][key] ?? en[key] ?? key;
  return values ? text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m)) : text;
}

// The choice is also a cookie, which the pages the server renders (an SSO refusal, the stand-in
// console) read and their own switch writes: it comes first, as the most recent choice.
const LOCALE_COOKIE = "gh_locale";

function cookieLocale() {
  const found = document.cookie.split(";").map((c) => c.trim().split("=")).find(([name]) => name === LOCALE_COOKIE);
  return found ? found[1] : null;
}

function browserLocale() {
  let stored = cookieLocale();
  if (CATALOGUES[stored]) return stored;
  try { stored = localStorage.getItem(LOCALE_KEY); } catch { stored = null; }
  if (CATALOGUES[stored]) return stored;
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = tag.toLowerCase().split("-")[0];
    if (CATALOGUES[base]) return base;
  }
  return "en";
}

// The API's error.message is English: another language shows its own text for a known code, the
// server's message otherwise (English keeps the server's, which may be more precise).
function apiMessage(error) {
  const key = "api." + error.code;
  return locale !== "en" && CATALOGUES[locale][key] ? t(key) : error.message;
}

function setLocale(next) {
  locale = CATALOGUES[next] ? next : "en";
  document.documentElement.lang = locale;
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("shell.skip");
  nav.setAttribute("aria-label", t("nav.main"));
  const foot = document.querySelector(".foot");
  if (foot) foot.replaceChildren(h("p", {}, t("shell.footer")), languageSwitch());
}

// English / Français on every page: signed in, the account's locale changes (its emails follow);
// signed out, this browser remembers the choice.
function languageSwitch() {
  const choose = async (next) => {
    try { localStorage.setItem(LOCALE_KEY, next); } catch { /* private mode: this page only */ }
    document.cookie = `${LOCALE_COOKIE}=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
    // A click before the page asked for its session (or on a page that never does) asks now.
    if (!sessionChecked) await currentSession();
    if (signedIn) await api("PATCH", "/account", { locale: next });
    location.reload();
  };
  return h("nav", { class: "languages", "aria-label": t("lang.label") },
    [["en", "English"], ["fr", "Français"]].map(([code, text]) => h("button", { type: "button", lang: code,
      class: "secondary", "aria-pressed": code === locale ? "true" : "false", "data-locale": code,
      onclick: () => (code === locale ? null : choose(code)) }, text)));
}

// A field's message and a weak password's reasons come from the API in English: another language
// shows its own text, chosen by the error's code and the field (a reason by its code, with its values).
function fieldMessage(error, name, message) {
  if (locale === "en") return message;
  for (const key of [`fieldError.${error.code}.${name}`, `fieldError.${error.code}`, "fieldError.invalid_input"]) {
    if (CATALOGUES[locale][key]) return t(key);
  }
  return message;
}

function passwordReasons(details) {
  const coded = details.reason_codes;
  if (locale === "en" || !Array.isArray(coded) || coded.length !== details.reasons.length) return details.reasons;
  return coded.map((r, i) => {
    if (r.code === "account_words" && Array.isArray(r.words)) {
      const names = r.words.map((word) => t("password.quoted", { word }));
      const words = names.length === 1 ? names[0] : names.slice(0, -1).join(", ") + t("password.and") + names.at(-1);
      return t(names.length === 1 ? "password.reason.account_words" : "password.reason.account_words_many", { words });
    }
    const key = "password.reason." + r.code;
    return CATALOGUES[locale][key] ? t(key, r) : details.reasons[i];
  });
}

// "Chrome on Linux" from its parts, in the page's language; the API's English `device` otherwise.
function deviceName(session) {
  const parts = session.device_parts || {};
  if (parts.browser && parts.system) return t("sessions.device", parts);
  return parts.browser || parts.system || (session.device_parts ? t("sessions.unknown") : session.device)
    || session.user_agent || t("sessions.unknown");
}

// ---- API -------------------------------------------------------------------------------------
async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: null,
      error: { code: "network", message: t("error.network") } };
  }
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  const error = response.ok ? null : (data && data.error) ||
    { code: "http_" + response.status, message: t("error.http", { status: response.status }) };
  return { ok: response.ok, status: response.status, data, error };
}

// ---- DOM helpers -----------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const LINK = /(https?:\/\/[^\s<>"]+)/g;

// Text with its URLs turned into links (the outbox, where the newcomer clicks their email link).
function linkified(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    nodes.push(text.slice(last, match.index));
    nodes.push(h("a", { href: match[0] }, match[0]));
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function page(title, ...children) {
  document.title = t("page.title", { title });
  const heading = h("h1", { tabindex: "-1" }, title);
  // An absent part (null, as for an account the unification never touched) is left out: replaceChildren
  // would print it as the text "null".
  main.replaceChildren(heading, ...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  heading.focus();
}

function go(path) { location.assign(path); }

function query(name) { return new URLSearchParams(location.search).get(name) || ""; }

function setNav(session) {
  const here = location.pathname.replace(/\/$/, "") || "/ui";
  const link = (href, text) => h("a", { href, "aria-current": here === href.replace(/\/$/, "") ? "page" : null }, text);
  const items = [];
  if (session && session.status === "authenticated") {
    items.push(link("/ui/consoles", t("nav.consoles")), link("/ui/account", t("nav.account")), link("/ui/mfa", t("nav.security")));
  } else if (!session) {
    items.push(link("/ui/", t("signIn")));
  }
  // The outbox only exists on the local stage, which runs on this machine.
  if (["localhost", "127.0.0.1"].includes(location.hostname)) items.push(link("/ui/outbox", t("nav.outbox")));
  if (session) items.push(h("button", { type: "button", class: "secondary", id: "logout", onclick: logout }, t("nav.signOut")));
  nav.replaceChildren(...items);
}

async function logout() {
  await api("POST", "/logout");
  go("/ui/");
}

async function currentSession() {
  const r = await api("GET", "/session");
  sessionChecked = true;
  signedIn = r.ok && r.data.status === "authenticated";
  if (r.ok && r.data.locale && r.data.locale !== locale) setLocale(r.data.locale);
  return r.ok ? r.data : null;
}

// ---- forms -----------------------------------------------------------------------------------
let uid = 0;

// A field: { name, label, type, autocomplete, hint, required, value, options, textarea }
function field(spec) {
  const id = "f" + (++uid) + "-" + spec.name;
  const errorId = id + "-error";
  const hintId = spec.hint ? id + "-hint" : null;
  const attrs = { id, name: spec.name, autocomplete: spec.autocomplete || "off", required: spec.required !== false,
    "aria-describedby": [hintId, errorId].filter(Boolean).join(" "), inputmode: spec.inputmode,
    minlength: spec.minlength, maxlength: spec.maxlength, pattern: spec.pattern };
  let control;
  if (spec.options) {
    control = h("select", attrs, spec.options.map(([value, text]) =>
      h("option", { value, selected: value === spec.value }, text)));
  } else if (spec.textarea) {
    control = h("textarea", attrs, spec.value || "");
  } else {
    control = h("input", { ...attrs, type: spec.type || "text", value: spec.value });
  }
  return h("div", { class: "field" },
    h("label", { for: id }, spec.label),
    spec.hint ? h("p", { class: "hint", id: hintId }, spec.hint) : null,
    control,
    h("div", { class: "field-error", id: errorId, "data-for": spec.name, "aria-live": "polite" }));
}

// A form that posts its fields as JSON and shows the API's errors where they belong.
function form({ id, fields, submit, onsubmit, extra }) {
  const alert = h("div", { class: "alert error", role: "alert", "data-role": "form-error" });
  const button = h("button", { type: "submit" }, submit);
  const el = h("form", { id, novalidate: true }, alert, fields.map(field), extra || null,
    h("div", { class: "actions" }, button));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(el);
    const values = {};
    for (const spec of fields) {
      const control = el.elements[spec.name];
      const value = control.value;
      if (spec.optional && value === "") continue;
      values[spec.name] = spec.trim === false ? value : value.trim();
    }
    const missing = fields.filter((f) => f.required !== false && !f.optional && values[f.name] === "");
    if (missing.length) {
      showError(el, { message: t("form.missing"),
        details: { fields: Object.fromEntries(missing.map((f) => [f.name, t("form.required")])) } });
      return;
    }
    button.disabled = true;
    try {
      const error = await onsubmit(values, el);
      if (error) showError(el, error);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

function clearErrors(el) {
  el.querySelector("[data-role=form-error]").replaceChildren();
  for (const box of el.querySelectorAll(".field-error")) box.replaceChildren();
  for (const control of el.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// The API's error.message at the top of the form, and each of details.fields next to its field;
// a weak password's details.reasons go next to the password field, as a list.
function showError(el, error) {
  const details = error.details || {};
  const fields = { ...(details.fields || {}) };
  const passwordField = [...el.querySelectorAll("input[type=password]")].pop();
  let first = null;
  if (details.reasons && passwordField) {
    delete fields[passwordField.name];
    delete fields.password;
    const box = el.querySelector(`.field-error[data-for="${passwordField.name}"]`);
    box.replaceChildren(h("ul", { class: "reasons" }, passwordReasons(details).map((r) => h("li", {}, r))));
    passwordField.setAttribute("aria-invalid", "true");
    first = passwordField;
  }
  for (const [name, message] of Object.entries(fields)) {
    const box = el.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
    const control = el.elements[name];
    if (!box || !control) continue;
    box.replaceChildren(error.code ? fieldMessage(error, name, message) : message);
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  const alert = el.querySelector("[data-role=form-error]");
  let message = (error.code ? apiMessage(error) : error.message) || t("error.generic");
  if (error.code === "rate_limited" && details.retry_after) {
    message += " " + t("error.retry", { minutes: Math.ceil(details.retry_after / 60) });
  }
  alert.replaceChildren(message);
  if (first) {
    first.focus();
  } else {
    alert.setAttribute("tabindex", "-1");
    alert.focus();
  }
}

function notice(text, kind = "ok") {
  return h("p", { class: "alert " + kind, role: kind === "ok" ? "status" : "alert" }, text);
}

function card(title, ...children) {
  const id = "card-" + (++uid);
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

// ---- WebAuthn: JSON options <-> browser objects ----------------------------------------------
function fromB64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buffer) {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function publicKeyOptions(options) {
  const o = structuredClone(options);
  o.challenge = fromB64url(o.challenge);
  if (o.user) o.user.id = fromB64url(o.user.id);
  for (const list of [o.allowCredentials, o.excludeCredentials]) {
    for (const c of list || []) c.id = fromB64url(c.id);
  }
  return o;
}

function credentialJson(cred) {
  const r = cred.response;
  const response = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
  }
  if (r.authenticatorData) response.authenticatorData = toB64url(r.authenticatorData);
  if (r.signature) response.signature = toB64url(r.signature);
  if (r.userHandle) response.userHandle = toB64url(r.userHandle);
  return { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {} };
}

async function webauthn(kind, options) {
  if (!window.PublicKeyCredential) {
    return { error: { message: t("passkey.unsupported") } };
  }
  try {
    const publicKey = publicKeyOptions(options);
    const cred = kind === "create" ? await navigator.credentials.create({ publicKey })
      : await navigator.credentials.get({ publicKey });
    return { credential: credentialJson(cred) };
  } catch (err) {
    return { error: { message: err && err.name === "NotAllowedError"
      ? t("passkey.cancelled") : t("passkey.failed") } };
  }
}

// ---- after a login ---------------------------------------------------------------------------
function afterLogin(result) {
  if (result.status === "mfa_required") go("/ui/mfa");
  else go(query("next").startsWith("/ui/") ? query("next") : "/ui/consoles");
}

// ---- pages -----------------------------------------------------------------------------------
const PASSWORD_HINT = () => t("password.hint");

async function home() {
  const session = await currentSession();
  setNav(session);
  if (session && session.status === "mfa_required") return go("/ui/mfa");
  if (session) {
    return page(t("home.welcome"), h("div", { class: "card narrow" },
      h("p", {}, t("home.signedInAs"), h("strong", { id: "who" }, session.email), "."),
      h("div", { class: "actions" }, h("a", { class: "button", href: "/ui/consoles" }, t("home.openConsole")),
        h("a", { class: "button secondary", href: "/ui/account" }, t("home.yourAccount")))));
  }
  const signIn = form({ id: "login-form", submit: t("signIn"), fields: [
    { name: "email", label: t("field.email"), type: "email", autocomplete: "username" },
    { name: "password", label: t("field.password"), type: "password", autocomplete: "current-password", trim: false },
  ], onsubmit: async (values) => {
    const r = await api("POST", "/login", values);
    if (!r.ok) return r.error;
    afterLogin(r.data);
  } });
  const passkey = h("button", { type: "button", class: "secondary open", id: "passkey-login", onclick: async () => {
    const alert = signIn.querySelector("[data-role=form-error]");
    alert.replaceChildren();
    const options = await api("POST", "/login/passkey/options");
    if (!options.ok) return showError(signIn, options.error);
    const got = await webauthn("get", options.data.options.publicKey || options.data.options);
    if (got.error) return showError(signIn, got.error);
    const r = await api("POST", "/login/passkey", { credential: got.credential });
    if (!r.ok) return showError(signIn, r.error);
    afterLogin(r.data);
  } }, t("home.passkey"));
  const signUp = form({ id: "signup-form", submit: t("home.createMine"), fields: [
    { name: "email", label: t("field.email"), type: "email", autocomplete: "email" },
    { name: "password", label: t("home.choosePassword"), type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT(), trim: false },
    { name: "locale", label: t("home.emailLanguage"), options: [["en", t("lang.en")], ["fr", t("lang.fr")]],
      value: locale },
  ], onsubmit: async (values, el) => {
    const r = await api("POST", "/signup", values);
    if (!r.ok) return r.error;
    el.replaceWith(notice(t("home.linkSent", { email: values.email })));
    document.querySelector("[role=status]").setAttribute("tabindex", "-1");
    document.querySelector("[role=status]").focus();
  } });
  page(t("home.title"),
    h("p", { class: "lead" }, t("home.lead")),
    h("div", { class: "grid" },
      card(t("signIn"), signIn, h("div", { class: "actions" },
        h("a", { href: "/ui/reset", id: "forgot" }, t("home.forgot")), codeLoginLink(signIn)),
      h("p", { class: "or" }, t("home.or")), passkey, ssoButtons()),
      card(t("home.createTitle"), signUp)));
}

async function verifySignup() {
  setNav(null);
  const token = query("token");
  page(t("verify.confirming"));
  const r = token ? await api("POST", "/signup/verify", { token }) : { ok: false,
    error: { message: t("link.noToken") } };
  if (!r.ok) {
    return page(t("link.didNotWork"), notice(apiMessage(r.error), "error"),
      h("p", {}, t("verify.already"), h("a", { href: "/ui/", id: "to-sign-in" }, t("verify.signInLower")),
        "."),
      h("p", {}, t("verify.otherwise"), h("a", { href: "/ui/" }, t("verify.signUpAgain")), t("verify.newLink")));
  }
  page(t("verify.created"), notice(t("verify.ready")),
    h("p", {}, h("a", { class: "button", href: "/ui/", id: "to-sign-in" }, t("signIn"))));
}

const ACTIONS = {
  get set_password() { return t("actions.setPassword"); },
  get enroll_mfa() { return t("actions.enrollMfa"); },
  get verify_email() { return t("actions.verifyEmail"); },
};

async function requiredActions(actions) {
  const parts = [h("p", { class: "lead" }, t("actions.lead"))];
  for (const action of actions) {
    if (action === "set_password") {
      parts.push(card(t("actions.newPasswordTitle"), h("p", {}, ACTIONS.set_password), form({ id: "set-password-form",
        submit: t("actions.savePassword"), fields: [{ name: "new_password", label: t("field.newPassword"), type: "password",
          autocomplete: "new-password", hint: PASSWORD_HINT(), trim: false }],
        onsubmit: async (values) => {
          const r = await api("POST", "/password/set", values);
          if (!r.ok) return r.error;
          location.reload();
        } })));
    } else if (action === "enroll_mfa") {
      parts.push(card(t("actions.setUpMfa"), h("p", {}, ACTIONS.enroll_mfa),
        h("a", { class: "button", href: "/ui/mfa" }, t("actions.setUpMfa"))));
    } else if (action === "verify_email") {
      parts.push(await verifyEmailCard());
    } else {
      parts.push(card(t("actions.needed"), h("p", {}, ACTIONS[action] || action),
        h("a", { class: "button secondary", href: "/ui/account" }, t("actions.goAccount"))));
    }
  }
  page(t("actions.title"), ...parts);
}

async function consoles() {
  const session = await currentSession();
  if (!session) return go("/ui/?next=/ui/consoles");
  if (session.status === "mfa_required") return go("/ui/mfa");
  setNav(session);
  const r = await api("GET", "/consoles");
  if (!r.ok) {
    if (r.error.code === "action_required") {
      return requiredActions((r.error.details || {}).required_actions || session.required_actions || []);
    }
    return page(t("nav.consoles"), notice(apiMessage(r.error), "error"));
  }
  const alert = h("div", { class: "alert error", role: "alert" });
  const open = async (consoleId, contextId, button) => {
    alert.replaceChildren();
    button.disabled = true;
    const body = { console: consoleId };
    if (contextId) body.context = contextId;
    const s = await api("POST", "/consoles/select", body);
    button.disabled = false;
    if (s.ok) return go(s.data.redirect_url);
    if (s.error.code === "action_required") return requiredActions(s.error.details.required_actions || []);
    alert.replaceChildren(...openRefused(s.error));
  };
  const cards = r.data.consoles.map((c) => {
    const current = r.data.current === c.id;
    // A row's button shows "Open" only; its name says which account it opens.
    const openButton = (x, label, cls, shown) => {
      const button = h("button", { type: "button", class: cls, "data-console": c.id, "data-context": x ? x.id : "",
        "aria-label": shown ? label : null }, shown || label);
      button.addEventListener("click", () => open(c.id, x ? x.id : null, button));
      return button;
    };
    const heading = h("h2", { id: "console-" + c.id }, c.name, current ? h("span", { class: "badge" }, t("consoles.current")) : null);
    if (c.contexts.length <= 1) {
      const x = c.contexts[0] || null;
      return h("section", { class: "card console", "aria-labelledby": "console-" + c.id }, heading,
        h("p", { class: "muted" }, current ? t("consoles.using", { name: c.name })
          : t("consoles.manage", { name: c.name })),
        openButton(x, t("consoles.open", { name: c.name }), "open"));
    }
    return h("section", { class: "card console", "aria-labelledby": "console-" + c.id }, heading,
      h("p", { class: "muted" }, c.contexts.some((x) => x.owner) ? t("consoles.chooseAccount")
        : t("consoles.unifiedChoose")),
      h("ul", { class: "list" }, c.contexts.map((x) => h("li", { class: "row" },
        h("div", {}, h("div", {}, x.name), h("div", { class: "meta" },
          contextWhose(x) + (current && r.data.context === x.id ? t("consoles.usingThis") : ""))),
        openButton(x, t("consoles.openContext", { name: c.name, context: x.name }) + (x.owner ? t("consoles.ofOwner", { owner: x.owner }) : ""), "", t("consoles.openShort"))))));
  });
  page(t("consoles.title"), h("p", { class: "lead" }, t("home.signedInAs"), h("strong", { id: "who" }, session.email),
    t("consoles.lead")), alert, await unificationCard(),
    h("div", { class: "grid" }, cards));
}

// GET /unification in words: where the account stands, what changed and why, whom to ask.
const UNIFICATION_CHANGES = {
  password: {
    get unchanged() { return t("unification.passwordUnchanged"); },
    get erased() { return t("unification.passwordErased"); },
  },
  mfa: {
    get unchanged() { return t("unification.mfaUnchanged"); },
    get disabled_sms() { return t("unification.mfaSms"); },
    get erased() { return t("unification.mfaErased"); },
    get replaced_by_scaleway() { return t("unification.mfaScaleway"); },
  },
};

async function unificationCard() {
  const u = await api("GET", "/unification");
  if (!u.ok || u.data.state === "not_affected") return null;
  const v = u.data;
  const done = v.state === "completed";
  const lines = [UNIFICATION_CHANGES.password[v.changes.password], UNIFICATION_CHANGES.mfa[v.changes.mfa],
    v.legacy_access ? t("unification.legacyKept")
      : t("unification.signInHere")].filter(Boolean);
  return h("section", { class: "card", id: "unification", "aria-labelledby": "unification-title" },
    h("h2", { id: "unification-title" }, done ? t("unification.done")
      : t("unification.becoming")),
    h("ul", {}, lines.map((line) => h("li", {}, line))),
    h("p", { class: "muted" }, t("unification.questions", { support: v.support === "dedibox" ? "Dedibox" : "Scaleway" })));
}

async function account() {
  const session = await currentSession();
  if (!session) return go("/ui/?next=/ui/account");
  if (session.status === "mfa_required") return go("/ui/mfa");
  setNav(session);
  const r = await api("GET", "/account");
  if (!r.ok) return page(t("home.yourAccount"), notice(apiMessage(r.error), "error"));
  const a = r.data;
  const saved = h("div", { role: "status", "aria-live": "polite" });
  const profile = form({ id: "profile-form", submit: t("account.save"), fields: [
    { name: "name", label: t("field.name"), autocomplete: "name", value: a.name || "", required: false },
    { name: "locale", label: t("field.language"), options: [["en", t("lang.en")], ["fr", t("lang.fr")]], value: a.locale || "en" },
    { name: "postal_address", label: t("field.postalAddress"), textarea: true, autocomplete: "street-address",
      value: a.postal_address || "", required: false },
    { name: "organization", label: t("field.organization"), autocomplete: "organization", value: a.organization || "",
      required: false },
  ], onsubmit: async (values) => {
    saved.replaceChildren();
    const p = await api("PATCH", "/account", values);
    if (!p.ok) return p.error;
    saved.replaceChildren(notice(t("account.saved")));
  } });
  const email = form({ id: "email-form", submit: t("account.changeEmail"), fields: [
    { name: "new_email", label: t("field.newEmail"), type: "email", autocomplete: "email" },
    { name: "password", label: t("field.currentPassword"), type: "password", autocomplete: "current-password", trim: false },
  ], onsubmit: async (values, el) => {
    const p = await api("POST", "/account/email", values);
    if (!p.ok) return p.error;
    el.replaceWith(notice(t("account.emailLinkSent", { email: values.new_email })));
  } });
  const password = form({ id: "password-form", submit: t("changePassword"), fields: [
    { name: "current_password", label: t("field.currentPassword"), type: "password", autocomplete: "current-password",
      trim: false },
    { name: "new_password", label: t("field.newPassword"), type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT(), trim: false },
  ], onsubmit: async (values, el) => {
    const p = await api("POST", "/password/change", values);
    if (!p.ok) return p.error;
    el.reset();
    el.prepend(notice(t("account.passwordChanged")));
    loadSessions();
  } });
  const sessions = h("ul", { class: "list", id: "sessions" });
  const loadSessions = async () => {
    const s = await api("GET", "/sessions");
    if (!s.ok) return sessions.replaceChildren(h("li", {}, apiMessage(s.error)));
    sessions.replaceChildren(...s.data.sessions.map((x) => h("li", { class: "row" },
      h("div", {}, h("div", { title: x.user_agent || null }, deviceName(x), x.current ? h("span", { class: "badge" }, t("sessions.thisOne")) : null),
        h("div", { class: "meta" }, t("sessions.when", { created: new Date(x.created_at).toLocaleString(locale), seen: new Date(x.last_seen_at).toLocaleString(locale) }))),
      x.current ? null : h("button", { type: "button", class: "danger", onclick: async () => {
        const d = await api("DELETE", "/sessions/" + encodeURIComponent(x.id));
        if (d.ok) loadSessions();
      } }, t("sessions.signOutThis")))));
  };
  page(t("home.yourAccount"), h("p", { class: "lead" }, t("home.signedInAs"), h("strong", { id: "who" }, a.email)),
    h("div", { class: "grid" }, card(t("account.profile"), saved, profile),
      h("div", {}, card(t("account.emailAddress"), h("p", { class: "muted" }, t("account.currently"), a.email), email),
        phoneCard(a), card(t("field.password"), password))),
    card(t("account.whereSignedIn"), sessions),
    identitiesCard(),
    card(t("mfa.title"), h("p", {}, t("account.mfaLead")),
      h("a", { class: "button secondary", href: "/ui/mfa" }, t("account.manageMfa"))),
    apiKeys(), membersCard(), outsourcingCard());
  loadSessions();
}

function apiKeys() {
  const list = h("ul", { class: "list", id: "api-keys" });
  const shown = h("div", { "aria-live": "polite" });
  const load = async () => {
    const r = await api("GET", "/api-keys");
    if (!r.ok) return list.replaceChildren(h("li", {}, apiMessage(r.error)));
    list.replaceChildren(...(r.data.api_keys.length ? r.data.api_keys.map((k) => h("li", { class: "row" },
      h("div", {}, h("div", {}, k.name), h("div", { class: "meta" }, t("keys.meta", { id: k.key_id, scope: k.context ? t("keys.dediboxOnly", { id: k.context.replace(/^dedibox-/, "") })
        : t("keys.everyConsole"), date: new Date(k.created_at).toLocaleDateString(locale) }))),
      h("button", { type: "button", class: "danger", onclick: async () => {
        const d = await api("DELETE", "/api-keys/" + encodeURIComponent(k.key_id));
        if (!d.ok) return shown.replaceChildren(notice(apiMessage(d.error), "error"));
        shown.replaceChildren(notice(t("keys.deleted", { name: k.name })));
        load();
      } }, t("delete")))) : [h("li", { class: "muted" }, t("keys.none"))]));
  };
  const make = form({ id: "api-key-form", submit: t("keys.make"), fields: [
    { name: "name", label: t("keys.name"), hint: t("keys.nameHint") },
  ], onsubmit: async (values, el) => {
    const m = await api("POST", "/api-keys", values);
    if (!m.ok) {
      const again = reauthenticate(m.error, "/ui/account");
      if (again) el.after(again);
      return m.error;
    }
    el.reset();
    shown.replaceChildren(h("div", { class: "card", id: "api-key-made" },
      h("p", {}, t("keys.copy")),
      h("p", {}, t("keys.id"), h("span", { class: "secret", id: "api-key-id" }, m.data.key_id)),
      h("p", {}, t("keys.secret"), h("span", { class: "secret", id: "api-key-secret" }, m.data.secret))));
    load();
  } });
  load();
  return card(t("keys.title"), h("p", {}, t("keys.lead")),
    shown, list, make);
}

// ---- members and outsourcing (the account page) and whose a context is (the consoles page) ----

// Why a console did not open, in words: a context that is no longer shared (a member removed, a grant
// revoked or expired since the page was shown) says so and offers the list as it is now.
function openRefused(error) {
  const gone = ((error.details || {}).fields || {}).context;
  if (!gone) return [apiMessage(error)];
  return [gone + t("org.noLongerShared"),
    h("button", { type: "button", class: "secondary", onclick: () => location.reload() }, t("org.showAgain"))];
}

// A consoles-page row's line: the account's own contexts from those others share, and what access.
function contextWhose(x) {
  if (!x.owner) return t("home.yourAccount") + (x.legacy_id ? ` (${x.legacy_id})` : "");
  if (x.access !== "outsourcing") return t("org.sharedWhole", { owner: x.owner });
  const n = (x.resources || []).length;
  return t(n === 1 ? "org.sharedOne" : "org.sharedMany", { owner: x.owner, n, permissions: (x.permissions || []).join(", ") });
}

// What a refusal to hand over access asks of the person, beside the form's message: sign in again
// (a second factor is enrolled and the sign-in is not recent), or finish the pending steps first.
function handOverHelp(error) {
  if (error.code === "action_required") {
    return h("p", {}, h("a", { class: "button secondary", href: "/ui/consoles" }, t("org.finishFirst")));
  }
  return reauthenticate(error, "/ui/account");
}

function splitIds(text) {
  return [...new Set((text || "").split(/[\s,]+/).map((x) => x.trim()).filter(Boolean))];
}

function membersCard() {
  const list = h("ul", { class: "list", id: "members" });
  const shown = h("div", { "aria-live": "polite" });
  const help = h("div", {});
  const load = async () => {
    const r = await api("GET", "/organization/members");
    if (!r.ok) return list.replaceChildren(h("li", {}, apiMessage(r.error)));
    list.replaceChildren(...(r.data.members.length ? r.data.members.map((m) => h("li", { class: "row" },
      h("div", {}, h("div", {}, m.email), h("div", { class: "meta" },
        t("org.memberMeta", { role: m.role === "admin" ? t("org.admin") : t("org.member"), date: new Date(m.created_at).toLocaleDateString(locale) }))),
      h("button", { type: "button", class: "danger", "aria-label": t("org.removeLabel", { email: m.email }), onclick: async () => {
        const d = await api("DELETE", "/organization/members/" + encodeURIComponent(m.id));
        if (!d.ok) return shown.replaceChildren(notice(apiMessage(d.error), "error"));
        shown.replaceChildren(notice(t("org.removed", { email: m.email })));
        load();
      } }, t("remove")))) : [h("li", { class: "muted" }, t("org.noMember"))]));
  };
  const add = form({ id: "member-form", submit: t("org.addMember"), fields: [
    { name: "email", label: t("org.memberEmail"), type: "email", autocomplete: "off",
      hint: t("org.memberHint") },
    { name: "role", label: t("org.role"), options: [["member", t("org.member")], ["admin", t("org.admin")]], value: "member" },
  ], onsubmit: async (values, el) => {
    help.replaceChildren();
    shown.replaceChildren();
    const m = await api("POST", "/organization/members", values);
    if (!m.ok) {
      const more = handOverHelp(m.error);
      if (more) help.replaceChildren(more);
      return m.error;
    }
    el.reset();
    shown.replaceChildren(notice(t("org.added", { email: values.email })));
    load();
  } });
  load();
  return card(t("org.members"), h("p", {}, t("org.membersLead")),
    shown, list, add, help);
}

function checkboxes(legend, name, items) {
  return h("fieldset", { class: "radios", "data-group": name }, h("legend", {}, legend),
    items.map(([value, text]) => h("label", {}, h("input", { type: "checkbox", name, value }), text)));
}

function outsourcingCard() {
  const list = h("ul", { class: "list", id: "outsourcing" });
  const shown = h("div", { "aria-live": "polite" });
  const help = h("div", {});
  const picker = h("div", { id: "grant-resources", class: "choices" });
  const body = h("div", {});
  const load = async () => {
    const r = await api("GET", "/outsourcing");
    if (!r.ok) return list.replaceChildren(h("li", {}, apiMessage(r.error)));
    list.replaceChildren(...(r.data.outsourcing.length ? r.data.outsourcing.map((g) => h("li", { class: "row" },
      h("div", {}, h("div", {}, g.grantee_email), h("div", { class: "meta" },
        `${g.resources.join(", ")}: ${g.permissions.join(", ")}, ` +
        (g.expires_at ? t("org.until", { date: new Date(g.expires_at).toLocaleString(locale) }) : t("org.noEnd")))),
      h("button", { type: "button", class: "danger", "aria-label": t("org.revokeLabel", { email: g.grantee_email }),
        onclick: async () => {
          const d = await api("DELETE", "/outsourcing/" + encodeURIComponent(g.id));
          if (!d.ok) return shown.replaceChildren(notice(apiMessage(d.error), "error"));
          shown.replaceChildren(notice(t("org.revoked", { email: g.grantee_email })));
          load();
        } }, t("org.revoke")))) : [h("li", { class: "muted" }, t("org.nobody"))]));
  };
  const show = async () => {
    // The account's own resources, from its contexts in each console.
    const c = await api("GET", "/consoles");
    if (!c.ok && c.error.code === "action_required") {
      // Sharing is refused until then: say so rather than offer a form that cannot succeed.
      return body.replaceChildren(h("p", {}, t("org.finishBeforeShare")),
        handOverHelp(c.error));
    }
    const groups = [];
    for (const con of (c.ok ? c.data.consoles : [])) {
      for (const x of con.contexts.filter((x) => !x.owner && (x.resources || []).length)) {
        groups.push(checkboxes(`${con.name}: ${x.name}`, "pick",
          x.resources.map((res) => [res.id, `${res.name}${res.name !== res.id ? ` (${res.id})` : ""}`])));
      }
    }
    const typed = groups.length
      ? { name: "resources", label: t("org.otherIds"), optional: true, required: false,
        hint: t("org.otherIdsHint") }
      : { name: "resources", label: t("org.ids"), optional: true, required: false,
        hint: t("org.idsHint") };
    picker.replaceChildren(...groups);
    const actions = checkboxes(t("org.actions"), "perm",
      [["read", t("perm.read")], ["write", t("perm.write")], ["reboot", t("perm.reboot")], ["delete", t("perm.delete")]]);
    const grant = form({ id: "grant-form", submit: t("org.give"), fields: [
      { name: "grantee_email", label: t("org.theirEmail"), type: "email", autocomplete: "off" },
      typed,
      { name: "permissions", label: t("org.otherActions"), optional: true, required: false,
        hint: t("org.otherActionsHint") },
      { name: "expires_at", label: t("org.ends"), type: "datetime-local", optional: true, required: false },
    ], onsubmit: async (values, el) => {
      help.replaceChildren();
      shown.replaceChildren();
      const ticked = (name) => [...el.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
      const resources = [...new Set([...ticked("pick"), ...splitIds(values.resources)])];
      const permissions = [...new Set([...ticked("perm"), ...splitIds(values.permissions)])];
      const missing = {};
      if (!resources.length) missing.resources = t("org.chooseResource");
      if (!permissions.length) missing.permissions = t("org.chooseAction");
      if (Object.keys(missing).length) return { message: t("form.missing"), details: { fields: missing } };
      const payload = { grantee_email: values.grantee_email, resources, permissions };
      if (values.expires_at) payload.expires_at = new Date(values.expires_at).toISOString();
      const g = await api("POST", "/outsourcing", payload);
      if (!g.ok) {
        const more = handOverHelp(g.error);
        if (more) help.replaceChildren(more);
        return g.error;
      }
      el.reset();
      shown.replaceChildren(notice(t(resources.length === 1 ? "org.givenOne" : "org.givenMany",
        { email: values.grantee_email, n: resources.length })));
      load();
    } });
    // The choices go above the fields they complete.
    grant.elements.resources.closest(".field").before(picker);
    grant.elements.permissions.closest(".field").before(actions);
    body.replaceChildren(grant);
  };
  load();
  show();
  return card(t("org.outsourcing"), h("p", {}, t("org.outsourcingLead")),
    shown, list, body, help);
}

// The phone is a recovery channel: it changes only once the code texted to the new number comes back.
function phoneCard(a) {
  const current = h("p", { class: "muted", id: "phone-current" },
    a.phone ? t("account.currently") + a.phone : t("phone.none"));
  const status = h("div", { "aria-live": "polite" });
  const ask = form({ id: "phone-form", submit: t("textCode"), fields: [
    { name: "phone", label: t("phone.new"), type: "tel", autocomplete: "tel",
      hint: t("phone.hint") },
    { name: "password", label: t("field.currentPassword"), type: "password", autocomplete: "current-password", trim: false },
  ], onsubmit: async (values, el) => {
    const r = await api("POST", "/account/phone", values);
    if (!r.ok) {
      const again = reauthenticate(r.error, "/ui/account");
      if (again) el.after(again);
      return r.error;
    }
    const confirm = form({ id: "phone-code-form", submit: t("phone.confirm"), fields: [
      { name: "code", label: t("smsCode"), autocomplete: "one-time-code", inputmode: "numeric" },
    ], onsubmit: async (code, codeForm) => {
      const v = await api("POST", "/account/phone/verify", code);
      if (!v.ok) return v.error;
      current.textContent = t("account.currently") + v.data.phone;
      codeForm.replaceWith(notice(t("phone.changed", { phone: v.data.phone })));
    } });
    status.replaceChildren(notice(t("phone.sent", { phone: values.phone })));
    el.replaceWith(confirm);
  } });
  return card(t("field.phone"), current, status, ask);
}

function resetRequestForm(channel) {
  return form({ id: `reset-${channel}-form`, submit: channel === "email" ? t("reset.emailLink") : t("textCode"),
    fields: [
      { name: "kind", label: t("reset.iWillGive"), options: [["email", t("reset.myEmail")],
        ["identifier", t("reset.myLogin")], ["domain", t("reset.myDomain")]] },
      { name: "value", label: t("reset.value"), autocomplete: "username" },
    ], onsubmit: async (values, el) => {
      const r = await api("POST", `/password/reset/${channel}`, { [values.kind]: values.value });
      if (!r.ok) {
        const fields = (r.error.details || {}).fields || {};
        if (fields[values.kind]) fields.value = fields[values.kind];
        return r.error;
      }
      if (channel === "email") {
        el.replaceWith(notice(t("reset.emailSent")));
      } else {
        el.replaceWith(smsCompleteForm(r.data.flow_id));
      }
    } });
}

function smsCompleteForm(flowId) {
  const done = form({ id: "reset-sms-complete-form", submit: t("changePassword"), fields: [
    { name: "code", label: t("smsCode"), inputmode: "numeric", autocomplete: "one-time-code" },
    { name: "new_password", label: t("field.newPassword"), type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT(), trim: false },
  ], onsubmit: async (values, el) => {
    const r = await api("POST", "/password/reset/sms/complete", { flow_id: flowId, ...values });
    if (!r.ok) return r.error;
    el.replaceWith(resetDone());
  } });
  return h("div", {}, notice(t("reset.smsSent")),
    done);
}

function resetDone() {
  return h("div", {}, notice(t("reset.done")),
    h("p", {}, h("a", { class: "button", href: "/ui/", id: "to-sign-in" }, t("signIn"))));
}

async function reset() {
  setNav(await currentSession());
  page(t("reset.title"), h("p", { class: "lead" }, t("reset.lead")),
    h("div", { class: "grid" }, card(t("reset.byEmail"), resetRequestForm("email")),
      card(t("reset.bySms"), resetRequestForm("sms"))),
    h("p", {}, t("reset.noAccess"),
      h("a", { href: "/ui/recovery", id: "to-recovery" }, t("reset.toRecovery")), "."));
}

async function resetComplete() {
  setNav(null);
  const token = query("token");
  // Say at once when the link is used or expired, rather than after a new password was typed.
  const valid = token ? await api("POST", "/password/reset/email/check", { token }) : { ok: false,
    error: { code: "invalid_token", message: t("link.noToken") } };
  if (!valid.ok && valid.error.code === "invalid_token") {
    return page(t("link.noLonger"), notice(apiMessage(valid.error), "error"),
      h("p", {}, t("reset.linkOnce")),
      h("p", {}, h("a", { class: "button", href: "/ui/reset", id: "new-link" }, t("reset.askNew"))));
  }
  page(t("actions.newPasswordTitle"), card(t("field.newPassword"), form({ id: "reset-complete-form", submit: t("changePassword"),
    fields: [{ name: "new_password", label: t("field.newPassword"), type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT(), trim: false }],
    onsubmit: async (values, el) => {
      const r = await api("POST", "/password/reset/email/complete", { token, new_password: values.new_password });
      if (!r.ok) {
        if (r.error.code === "invalid_token" && !document.getElementById("new-link")) {
          el.after(h("p", { id: "new-link" }, h("a", { href: "/ui/reset" }, t("reset.askNew"))));
        }
        return r.error;
      }
      el.replaceWith(resetDone());
    } })));
}

async function mfaChallenge(session) {
  const methods = session.mfa_methods || [];
  const done = (r) => (r.ok ? afterLogin({ status: "authenticated" }) : r.error);
  const parts = [h("p", { class: "lead" }, t("mfa.lead"))];
  if (methods.includes("totp")) {
    parts.push(card(t("mfa.app"), form({ id: "totp-form", submit: t("mfa.verify"), fields: [
      { name: "code", label: t("mfa.code6"), inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 },
    ], onsubmit: async (values) => done(await api("POST", "/mfa/verify", { method: "totp", code: values.code })) })));
  }
  if (methods.includes("webauthn") || methods.includes("passkey")) {
    const alert = h("div", { class: "alert error", role: "alert" });
    parts.push(card(t("mfa.passkey"), alert, h("button", { type: "button", id: "passkey-verify", onclick: async () => {
      alert.replaceChildren();
      const c = await api("POST", "/mfa/webauthn/challenge");
      if (!c.ok) return alert.replaceChildren(apiMessage(c.error));
      const got = await webauthn("get", c.data.options.publicKey || c.data.options);
      if (got.error) return alert.replaceChildren(apiMessage(got.error));
      const r = await api("POST", "/mfa/verify", { method: "webauthn", credential: got.credential });
      if (!r.ok) return alert.replaceChildren(apiMessage(r.error));
      afterLogin({ status: "authenticated" });
    } }, t("mfa.usePasskey"))));
  }
  parts.push(card(t("mfa.recoveryCode"), form({ id: "recovery-form", submit: t("mfa.useCode"), fields: [
    { name: "code", label: t("mfa.recoveryCode"), autocomplete: "off",
      hint: t("mfa.recoveryHint") },
  ], onsubmit: async (values) => done(await api("POST", "/mfa/verify",
    { method: "recovery_code", code: values.code })) })));
  page(t("mfa.secondStep"), h("div", { class: "grid" }, parts));
}

// Changing second factors needs a recent sign-in: offer the way to get one.
function reauthenticate(error, next = "/ui/mfa") {
  if (error.code !== "reauthentication_required") return null;
  return h("p", {}, h("button", { type: "button", class: "secondary", onclick: async () => {
    await api("POST", "/logout");
    go("/ui/?next=" + encodeURIComponent(next));
  } }, t("signInAgain")));
}

function recoveryCodes(codes) {
  return h("div", { class: "card", id: "recovery-codes" }, h("h2", {}, t("mfa.yourCodes")),
    h("p", {}, t("mfa.saveCodes")),
    h("ul", { class: "codes" }, codes.map((c) => h("li", {}, c))));
}

async function mfaManage(session) {
  const r = await api("GET", "/mfa");
  const status = h("div", { "aria-live": "polite" });
  const list = h("ul", { class: "list", id: "mfa-methods" });
  const left = h("p", { class: "muted", id: "recovery-codes-left" });
  const render = (data) => {
    left.replaceChildren(t("mfa.codesLeft", { n: data.recovery_codes_remaining ?? 0 }));
    list.replaceChildren(...(data.methods.length ? data.methods.map((m) => h("li", { class: "row" },
      h("div", {}, h("div", {}, m.name || m.type), h("div", { class: "meta" },
        (m.type === "totp" ? t("mfa.app") : t("mfa.passkey")) + t("mfa.added", { date: new Date(m.created_at).toLocaleDateString(locale) }))),
      h("button", { type: "button", class: "danger", onclick: async () => {
        const d = await api("DELETE", "/mfa/" + encodeURIComponent(m.id));
        if (!d.ok) return status.replaceChildren(notice(apiMessage(d.error), "error"));
        reloadList();
      } }, t("remove")))) : [h("li", { class: "muted" }, t("mfa.none"))]));
  };
  const reloadList = async () => {
    const again = await api("GET", "/mfa");
    if (again.ok) render(again.data);
  };
  if (!r.ok) return page(t("mfa.title"), notice(apiMessage(r.error), "error"));
  render(r.data);
  const totpArea = h("div", {});
  const startTotp = h("button", { type: "button", id: "totp-start", onclick: async () => {
    const totp = await api("POST", "/mfa/totp");
    if (!totp.ok) return totpArea.replaceChildren(notice(apiMessage(totp.error), "error"), reauthenticate(totp.error));
    // The SVG goes in an <img> as a data: URI: an image cannot run script, and the CSP allows it.
    const qr = totp.data.qr_svg ? "data:image/svg+xml;charset=utf-8," + encodeURIComponent(totp.data.qr_svg) : null;
    totpArea.replaceChildren(
      qr ? h("img", { class: "qr", src: qr, alt: t("mfa.qrAlt") }) : null,
      h("p", {}, t("mfa.scan")),
      h("p", { class: "secret", id: "totp-secret" }, totp.data.secret),
      h("p", {}, h("a", { href: totp.data.otpauth_uri }, t("mfa.openApp"))),
      form({ id: "totp-confirm-form", submit: t("mfa.confirm"), fields: [
        { name: "code", label: t("mfa.code6App"), inputmode: "numeric", autocomplete: "one-time-code",
          maxlength: 6 }],
      onsubmit: async (values) => {
        const c = await api("POST", "/mfa/totp/confirm", values);
        if (!c.ok) return c.error;
        totpArea.replaceChildren(notice(t("mfa.appSet")),
          c.data.recovery_codes ? recoveryCodes(c.data.recovery_codes) : null);
        reloadList();
      } }));
    totpArea.querySelector("input").focus();
  } }, t("mfa.addApp"));
  const passkeyForm = form({ id: "passkey-register-form", submit: t("mfa.addPasskey"), fields: [
    { name: "name", label: t("mfa.passkeyName"), hint: t("mfa.passkeyHint"), value: t("mfa.myPasskey") },
  ], onsubmit: async (values, el) => {
    const o = await api("POST", "/mfa/webauthn/register");
    if (!o.ok) {
      const again = reauthenticate(o.error);
      if (again) el.after(again);
      return o.error;
    }
    const made = await webauthn("create", o.data.options.publicKey || o.data.options);
    if (made.error) return made.error;
    const v = await api("POST", "/mfa/webauthn/register/verify", { credential: made.credential, name: values.name });
    if (!v.ok) return v.error;
    el.prepend(notice(t("mfa.passkeyAdded")));
    if (v.data && v.data.recovery_codes) el.after(recoveryCodes(v.data.recovery_codes));
    reloadList();
  } });
  const codesArea = h("div", {});
  const newCodes = h("button", { type: "button", class: "secondary", id: "new-recovery-codes", onclick: async () => {
    const c = await api("POST", "/mfa/recovery-codes");
    codesArea.replaceChildren(c.ok ? recoveryCodes(c.data.recovery_codes) : notice(apiMessage(c.error), "error"));
    reloadList();
  } }, t("mfa.newCodes"));
  const actions = session.required_actions || [];
  page(t("mfa.title"),
    actions.includes("enroll_mfa") ? notice(ACTIONS.enroll_mfa, "error") : null,
    status, card(t("mfa.yours"), list, left,
      h("div", { class: "actions" }, newCodes), codesArea),
    h("div", { class: "grid" }, card(t("mfa.app"), totpArea, startTotp), card(t("mfa.passkey"), passkeyForm)));
}

async function mfa() {
  const session = await currentSession();
  if (!session) return go("/ui/?next=/ui/mfa");
  setNav(session);
  if (session.status === "mfa_required") return mfaChallenge(session);
  return mfaManage(session);
}

async function verifyEmail() {
  setNav(await currentSession());
  const token = query("token");
  page(t("verifyEmail.confirming"));
  const r = token ? await api("POST", "/account/email/verify", { token }) : { ok: false,
    error: { message: t("link.noToken") } };
  if (!r.ok) {
    return page(t("link.didNotWork"), notice(apiMessage(r.error), "error"),
      h("p", {}, t("verifyEmail.already"),
        t("verifyEmail.forLink"), h("a", { href: "/ui/account", id: "to-account" }, t("verifyEmail.goAccount")), "."));
  }
  page(t("verifyEmail.changed"), notice(r.data && r.data.email ? t("verifyEmail.nowUsesThis", { email: r.data.email }) : t("verifyEmail.nowUses")), h("p", {}, h("a", { href: "/ui/" }, t("continue"))));
}

async function outbox() {
  setNav(await currentSession());
  const to = query("to");
  const r = await api("GET", "/dev/outbox" + (to ? "?to=" + encodeURIComponent(to) : ""));
  const filter = h("form", { id: "outbox-filter", method: "get", action: "/ui/outbox", class: "actions" },
    h("label", { for: "outbox-to" }, t("outbox.recipient")),
    h("input", { id: "outbox-to", name: "to", type: "text", value: to, placeholder: "someone@example.com" }),
    h("button", { type: "submit", class: "secondary" }, t("outbox.filter")));
  if (!r.ok) return page(t("nav.outbox"), notice(apiMessage(r.error), "error"));
  const messages = r.data.messages;
  page(t("nav.outbox"), h("p", { class: "lead" }, t("outbox.lead")), card(t("outbox.filter"), filter),
  messages.length ? h("ol", { class: "list", id: "messages" }, messages.map((m) => h("li", { class: "card message" },
    h("header", {}, h("h2", {}, m.subject || (m.channel === "sms" ? "SMS" : t("outbox.noSubject"))),
      h("span", { class: "meta muted" }, t("outbox.meta", { channel: m.channel, to: m.to, date: new Date(m.sent_at).toLocaleString(locale) }))),
    h("pre", {}, linkified(m.text || ""))))) : h("p", { class: "muted" }, t("outbox.none")));
  const last = main.querySelector("#messages > li:last-child");
  if (last && !to) last.scrollIntoView({ block: "end" });
}

// ---- sign-in with an emailed code, and confirming the account's address ------------------------
// The way in for an account with no password (erased when several Dedibox accounts were unified)
// and for anyone who forgot theirs: the code proves the mailbox, then the required actions follow.
function codeLoginLink(signIn) {
  return h("a", { href: "/ui/code", id: "code-login", onclick: (event) => {
    const email = signIn.elements.email.value.trim();
    if (email) {
      event.preventDefault();
      go("/ui/code?email=" + encodeURIComponent(email));
    }
  } }, t("code.emailMe"));
}

async function codeLogin() {
  const session = await currentSession();
  setNav(session);
  if (session && session.status === "mfa_required") return go("/ui/mfa");
  const area = h("div", {});
  const ask = (email) => form({ id: "code-request-form", submit: t("code.emailMe"), fields: [
    { name: "email", label: t("field.email"), type: "email", autocomplete: "username", value: email,
      hint: t("code.hint") },
  ], onsubmit: async (values) => {
    const r = await api("POST", "/login/code", values);
    if (!r.ok) return r.error;
    area.replaceChildren(enter(values.email));
    area.querySelector("input[name=code]").focus();
  } });
  const enter = (email) => h("div", {},
    notice(t("code.sent", { email })),
    form({ id: "code-verify-form", submit: t("signIn"), fields: [
      { name: "code", label: t("code.label"), inputmode: "numeric", autocomplete: "one-time-code",
        maxlength: 9 },
    ], onsubmit: async (values) => {
      const r = await api("POST", "/login/code/verify", { email, code: values.code.replace(/\s+/g, "") });
      if (!r.ok) return r.error;
      afterLogin(r.data);
    } }),
    h("p", {}, h("button", { type: "button", class: "secondary", id: "code-again", onclick: () => {
      area.replaceChildren(ask(email));
    } }, t("code.again"))));
  area.replaceChildren(ask(query("email")));
  page(t("code.title"), card(t("code.card"), area),
    h("p", {}, h("a", { href: "/ui/" }, t("code.password"))));
}

// The card of the `verify_email` action: the link can always be sent again.
async function verifyEmailCard() {
  const session = await currentSession();
  const status = h("div", { "aria-live": "polite" });
  const again = h("button", { type: "button", id: "confirm-email-again", onclick: async () => {
    again.disabled = true;
    const r = await api("POST", "/account/email/confirm");
    again.disabled = false;
    status.replaceChildren(r.ok ? notice(t("confirm.sent", { email: session ? session.email : t("confirm.yourAddress") })) : notice(apiMessage(r.error), "error"));
  } }, t("confirm.again"));
  return card(t("confirm.title"), h("p", {}, ACTIONS.verify_email), status,
    h("div", { class: "actions" }, again, h("a", { class: "button secondary", href: "/ui/account" },
      t("confirm.another"))));
}

async function confirmEmail() {
  const session = await currentSession();
  setNav(session);
  const token = query("token");
  page(t("confirm.confirming"));
  const r = token ? await api("POST", "/account/email/verify", { token }) : { ok: false,
    error: { message: t("link.noToken") } };
  if (!r.ok) {
    return page(t("link.didNotWork"), notice(apiMessage(r.error), "error"),
      session && session.status === "authenticated" ? await verifyEmailCard()
        : h("p", {}, h("a", { href: "/ui/" }, t("signIn")), t("confirm.askNew")));
  }
  page(t("confirm.done"), notice(t("confirm.thanks", { email: r.data.email })),
    h("p", {}, h("a", { class: "button", href: "/ui/consoles", id: "to-consoles" }, t("confirm.toConsoles"))));
}

// ---- recovery when the email no longer works: the request, the owner's cancel link, support ----
// The request form reports its errors the GOV.UK way: a summary at the top linking to each field
// in error, and each field's message next to it saying how to fix it.
// [name, label, hint] in the page's language (a function: the language is known only once the page runs).
const RECOVERY_DOCUMENTS = [
  ["identity_1", "doc.identity1", "doc.identity1Hint"],
  ["identity_2", "doc.identity2", "doc.identity2Hint"],
  ["last_bill", "doc.lastBill", "doc.lastBillHint"],
  ["card_statement", "doc.cardStatement", "doc.cardStatementHint"],
];
const recoveryDocuments = () => RECOVERY_DOCUMENTS.map(([name, label, hint]) => [name, t(label), t(hint)]);
const RECOVERY_TYPES = { "application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG" };
const RECOVERY_MAX_BYTES = 10 * 1024 * 1024;

function errorSummary() {
  return h("div", { class: "error-summary", "data-role": "error-summary", tabindex: "-1", hidden: true,
    "aria-labelledby": "error-summary-title", role: "alert" });
}

// problems: [[control, message]] in the order of the page; message alone (no control) for the form.
function showSummary(el, problems, lead) {
  const summary = el.querySelector("[data-role=error-summary]");
  for (const box of el.querySelectorAll(".field-error")) box.replaceChildren();
  for (const control of el.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  if (!problems.length) {
    summary.hidden = true;
    summary.replaceChildren();
    return;
  }
  summary.replaceChildren(...[h("h2", { id: "error-summary-title" }, t("summary.title")),
    lead ? h("p", {}, lead) : null,
    h("ul", {}, problems.map(([control, message]) => h("li", {}, control
      ? h("a", { href: "#" + control.id, onclick: (event) => { event.preventDefault(); control.focus(); } }, message)
      : message)))].filter(Boolean));
  for (const [control, message] of problems) {
    if (!control) continue;
    const box = el.querySelector(`.field-error[data-for="${CSS.escape(control.name)}"]`);
    if (box) box.replaceChildren(h("span", { class: "visually-hidden" }, t("summary.error")), message);
    control.setAttribute("aria-invalid", "true");
  }
  summary.hidden = false;
  summary.focus();
}

function fileField(name, label, hint) {
  const id = "f" + (++uid) + "-" + name;
  return h("div", { class: "field", "data-document": name },
    h("label", { for: id }, label),
    h("p", { class: "hint", id: id + "-hint" }, hint + t("doc.types")),
    h("input", { id, name, type: "file", accept: Object.keys(RECOVERY_TYPES).join(","),
      "aria-describedby": `${id}-hint ${id}-error` }),
    h("div", { class: "field-error", id: id + "-error", "data-for": name }),
    h("div", { class: "upload", hidden: true },
      h("progress", { max: "100", value: "0", id: id + "-progress", "aria-label": t("doc.uploadLabel", { label }) }),
      h("span", { class: "meta", "data-role": "upload-status", "aria-live": "polite" })));
}

// One presigned POST: the form's fields, then the file last (S3 ignores anything after the file).
// XMLHttpRequest rather than fetch, for the upload's progress events.
function uploadDocument(upload, file, onprogress) {
  return new Promise((resolve) => {
    const data = new FormData();
    for (const [key, value] of Object.entries(upload.fields)) data.append(key, value);
    data.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onprogress(Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", () => resolve(xhr.status >= 200 && xhr.status < 300));
    xhr.addEventListener("error", () => resolve(false));
    xhr.addEventListener("abort", () => resolve(false));
    xhr.send(data);
  });
}

function recoveryDocumentProblem(file, label) {
  const doc = label.toLowerCase();
  if (!file) return t("doc.choose", { doc });
  if (!RECOVERY_TYPES[file.type]) return t("doc.badType", { doc });
  if (file.size === 0) return t("doc.empty", { doc });
  if (file.size > RECOVERY_MAX_BYTES) return t("doc.tooBig", { doc });
  return null;
}

function utcTime(iso) {
  return new Date(iso).toLocaleString(locale === "fr" ? "fr-FR" : "en-GB", { timeZone: "UTC", dateStyle: "long", timeStyle: "short" }) + " UTC";
}

async function recoveryRequest() {
  setNav(await currentSession());
  const summary = errorSummary();
  const kind = field({ name: "kind", label: t("reset.iWillGive"), options: [["identifier", t("reset.myLogin")],
    ["domain", t("reset.myDomain")]] });
  const fields = [
    field({ name: "value", label: t("recovery.value"), autocomplete: "username",
      hint: t("recovery.valueHint") }),
    field({ name: "new_email", label: t("recovery.newEmail"), type: "email", autocomplete: "email",
      hint: t("recovery.newEmailHint") }),
    field({ name: "postal_address", label: t("field.postalAddress"), textarea: true, autocomplete: "street-address",
      hint: t("recovery.addressHint") }),
    field({ name: "phone", label: t("field.phone"), type: "tel", autocomplete: "tel",
      hint: t("recovery.phoneHint") }),
  ];
  const button = h("button", { type: "submit" }, t("recovery.send"));
  const el = h("form", { id: "recovery-form", novalidate: true }, summary, kind, ...fields,
    h("fieldset", { class: "documents" }, h("legend", {}, t("recovery.documents")),
      h("p", { class: "hint" }, t("recovery.documentsHint")),
      recoveryDocuments().map(([name, label, hint]) => fileField(name, label, hint))),
    h("div", { class: "actions" }, button));
  let sent = null; // the API's answer once the request exists: a retry only uploads again
  const control = (name) => el.elements[name];
  const upload = async () => {
    const failed = [];
    await Promise.all(sent.uploads.map(async (u) => {
      const box = el.querySelector(`[data-document="${u.document}"]`);
      const bar = box.querySelector("progress");
      const status = box.querySelector("[data-role=upload-status]");
      if (box.dataset.uploaded === "yes") return;
      box.querySelector(".upload").hidden = false;
      bar.value = 0;
      status.textContent = t("upload.uploading");
      const ok = await uploadDocument(u, control(u.document).files[0], (percent) => {
        bar.value = percent;
        status.textContent = t("upload.percent", { percent });
      });
      if (ok) {
        bar.value = 100;
        box.dataset.uploaded = "yes";
        status.textContent = t("upload.done");
      } else {
        status.textContent = t("upload.notDone");
        failed.push(u.document);
      }
    }));
    return failed;
  };
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problems = [];
    const v = (name) => control(name).value.trim();
    if (!sent) {
      if (!v("value")) {
        problems.push([control("value"), v("kind") === "domain" ? t("recovery.enterDomain")
          : t("recovery.enterLogin")]);
      }
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v("new_email"))) {
        problems.push([control("new_email"), v("new_email") ? t("recovery.emailFormat") : t("recovery.enterEmail")]);
      }
      if (!v("postal_address")) problems.push([control("postal_address"), t("recovery.enterAddress")]);
      const phone = v("phone").replace(/[\s.-]/g, "");
      if (!/^\+[1-9][0-9]{6,14}$/.test(phone)) {
        problems.push([control("phone"), phone ? t("recovery.phoneFormat")
          : t("recovery.enterPhone")]);
      }
    }
    for (const [name, label] of recoveryDocuments()) {
      let problem = recoveryDocumentProblem(control(name).files[0], label);
      // Each upload form was signed for the type of the file first chosen: another type would be refused.
      const signed = sent && sent.uploads.find((u) => u.document === name).content_type;
      if (!problem && signed && control(name).files[0].type !== signed) {
        problem = t("doc.sameType", { doc: label.toLowerCase(), type: RECOVERY_TYPES[signed] });
      }
      if (problem) problems.push([control(name), problem]);
    }
    showSummary(el, problems);
    if (problems.length) return;
    button.disabled = true;
    try {
      if (!sent) {
        const body = { [v("kind")]: v("value"), new_email: v("new_email"), postal_address: v("postal_address"),
          phone: v("phone").replace(/[\s.-]/g, ""),
          content_types: Object.fromEntries(recoveryDocuments().map(([name]) => [name, control(name).files[0].type])) };
        const r = await api("POST", "/recovery-requests", body);
        if (!r.ok) {
          const bad = (r.error.details || {}).fields || {};
          // The API names identifier or domain; the page has one field for either. One line per field.
          const mapped = new Map();
          for (const [name, message] of Object.entries(bad)) {
            const target = ["identifier", "domain"].includes(name) ? "value"
              : name.startsWith("content_types") ? null : name;
            const key = target && control(target) ? target : name;
            if (!mapped.has(key)) mapped.set(key, [target && control(target) ? control(target) : null, message]);
          }
          const problems = [...mapped.values()];
          return showSummary(el, problems.length ? problems : [[null, apiMessage(r.error)]],
            problems.length ? apiMessage(r.error) : null);
        }
        sent = r.data;
        // The request exists: its details can no longer change, only the documents can be sent again.
        for (const name of ["kind", "value", "new_email", "postal_address", "phone"]) control(name).disabled = true;
      }
      const failed = await upload();
      if (failed.length) {
        button.textContent = t("recovery.sendAgain");
        const labels = Object.fromEntries(recoveryDocuments().map(([name, label]) => [name, label]));
        return showSummary(el, failed.map((name) => [control(name),
          t("doc.failed", { doc: labels[name].toLowerCase() })]));
      }
      recoverySent(sent, v("new_email"));
    } finally {
      button.disabled = false;
    }
  });
  page(t("recovery.title"),
    h("p", { class: "lead" }, t("recovery.lead")),
    h("div", { class: "card" }, el),
    h("p", {}, h("a", { href: "/ui/reset" }, t("recovery.resetInstead"))));
}

function recoverySent(sent, newEmail) {
  const hours = Math.round((sent.hold_seconds || 72 * 3600) / 3600);
  page(t("recovery.sent"), notice(t("recovery.received")),
    card(t("recovery.next"),
      h("ol", { class: "steps" },
        h("li", {}, t("recovery.step1")),
        h("li", {}, t("recovery.step2", { hours })),
        h("li", {}, t("recovery.step3", { hours, email: newEmail })),
        h("li", {}, t("recovery.step4", { email: newEmail }))),
      h("p", { class: "muted" }, t("recovery.reference"), h("span", { id: "request-id" }, sent.request_id))),
    h("p", {}, h("a", { href: "/ui/" }, t("recovery.back"))));
}

async function recoveryCancel() {
  setNav(await currentSession());
  const id = query("request");
  const token = query("token");
  if (!id || !token) {
    return page(t("cancel.incomplete"), notice(t("cancel.incompleteText"), "error"));
  }
  const alert = h("div", { class: "alert error", role: "alert" });
  const button = h("button", { type: "button", id: "cancel-request", onclick: async () => {
    button.disabled = true;
    alert.replaceChildren();
    const r = await api("POST", `/recovery-requests/${encodeURIComponent(id)}/cancel`, { token });
    button.disabled = false;
    if (r.ok) {
      return page(t("cancel.done"), notice(t("cancel.doneText")),
      h("p", {}, t("cancel.advice")),
      h("p", {}, h("a", { class: "button", href: "/ui/" }, t("signIn"))));
    }
    if (r.error.code === "invalid_token") {
      return page(t("link.noLonger"), notice(apiMessage(r.error), "error"),
        h("p", {}, t("cancel.once"),
        h("a", { href: "/ui/recovery" }, t("cancel.makeRequest")), "."));
    }
    alert.replaceChildren(apiMessage(r.error));
  } }, t("cancel.button"));
  page(t("cancel.title"),
    h("p", { class: "lead" }, t("cancel.lead")),
    h("div", { class: "card narrow" }, alert,
      h("p", {}, t("cancel.ifNot")),
      h("div", { class: "actions" }, button)));
}

// ---- support's queue --------------------------------------------------------------------------
function bytes(size) {
  return size < 1024 ? t("size.bytes", { n: size }) : size < 1024 * 1024 ? t("size.kb", { n: Math.round(size / 1024) })
    : t("size.mb", { n: (size / 1024 / 1024).toFixed(1) });
}

function supportRequest(r) {
  const a = r.account;
  const id = "request-" + r.id;
  const dash = h("span", { class: "muted" }, "—");
  const cell = (value) => (value === null || value === undefined || value === "" ? dash.cloneNode(true) : value);
  const row = (label, asked, onFile) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, cell(asked)),
    h("td", {}, cell(onFile)));
  const labels = Object.fromEntries(recoveryDocuments().map(([name, label]) => [name, label]));
  const status = h("div", { "aria-live": "polite", "data-role": "decision-status" });
  const note = field({ name: "note", label: t("support.note"), textarea: true, required: false,
    hint: t("support.noteHint") });
  const decide = async (approve, button) => {
    button.disabled = true;
    status.replaceChildren();
    const d = await api("POST", `/support/recovery-requests/${encodeURIComponent(r.id)}/decision`,
      { approve, note: decision.elements.note.value.trim() });
    button.disabled = false;
    if (!d.ok) {
      if (d.error.code === "documents_missing") {
        const missing = (d.error.details || {}).missing || [];
        return status.replaceChildren(h("div", { class: "alert error", role: "alert" },
          h("p", {}, t("support.missing")),
          h("ul", {}, missing.map((m) => h("li", {}, labels[m] || m))),
          h("p", {}, t("support.rejectOrWait"))));
      }
      return status.replaceChildren(notice(apiMessage(d.error), "error"));
    }
    decision.replaceWith(d.data.status === "approved"
      ? notice(t("support.approved", { email: r.new_email, date: utcTime(d.data.effective_at) }))
      : notice(t("support.rejected", { email: r.new_email })));
  };
  const approve = h("button", { type: "button", "data-action": "approve" }, t("support.approve"));
  const reject = h("button", { type: "button", class: "danger", "data-action": "reject" }, t("support.reject"));
  approve.addEventListener("click", () => decide(true, approve));
  reject.addEventListener("click", () => decide(false, reject));
  // With no account, or the new address already another account's, a request can only be rejected.
  const decision = h("form", { class: "decision", novalidate: true, onsubmit: (e) => e.preventDefault() }, note,
    h("div", { class: "actions" }, a && !r.new_email_taken ? approve : null, reject));
  const bill = a && a.last_bill ? t("support.bill", { amount: a.last_bill.amount, date: a.last_bill.date }) : null;
  return h("section", { class: "card request", id, "aria-labelledby": id + "-title", "data-request": r.id },
    h("h2", { id: id + "-title" }, t(r.lookup.kind === "domain" ? "support.domain" : "support.login", { value: r.lookup.value })),
    h("p", { class: "muted" }, t("support.made", { id: r.id, date: utcTime(r.created_at) })),
    a ? null : notice(t("support.noAccount", { value: r.lookup.value }), "error"),
    r.new_email_taken ? notice(t("support.taken", { email: r.new_email }), "error") : null,
    h("table", { class: "compare" },
      h("thead", {}, h("tr", {}, h("td", {}), h("th", { scope: "col" }, t("support.says")),
        h("th", { scope: "col" }, t("support.onFile")))),
      h("tbody", {},
        row(t("field.email"), t("support.new", { email: r.new_email }), a && a.email),
        row(t("field.name"), null, a && a.name),
        row(t("field.postalAddress"), r.postal_address, a && a.postal_address),
        row(t("field.phone"), r.phone, a && a.phone),
        row(t("field.organization"), null, a && a.organization),
        row(t("doc.lastBill"), null, bill),
        row(t("support.age"), null, a && t("support.ageValue", { n: a.age_days, date: utcTime(a.created_at) })),
        row(t("mfa.title"), null, a && (a.second_factors.length ? a.second_factors.join(", ") : t("support.none"))))),
    h("h3", {}, t("recovery.documents")),
    h("ul", { class: "list documents" }, r.documents.map((d) => h("li", { class: "row" },
      h("div", {}, h("div", {}, labels[d.document] || d.document), h("div", { class: "meta" },
        d.uploaded ? `${RECOVERY_TYPES[d.content_type] || d.content_type}, ${bytes(d.size)}` : t("upload.notDone"))),
      d.uploaded ? h("a", { class: "button secondary", href: d.url, "data-document": d.document },
        t("support.openDoc", { doc: labels[d.document].toLowerCase() })) : h("span", { class: "badge missing" }, t("support.missingBadge"))))),
    r.downloads.length ? h("p", { class: "meta muted" }, t("support.opened", { list: r.downloads.map((x) =>
      t("support.openedBy", { doc: labels[x.document] || x.document, by: x.by })).join("; ") })) : null,
    h("h3", {}, t("support.decision")), status, decision);
}

async function supportQueue() {
  const session = await currentSession();
  if (!session) return go("/ui/?next=/ui/support");
  if (session.status === "mfa_required") return go("/ui/mfa");
  setNav(session);
  const r = await api("GET", "/support/recovery-requests");
  if (!r.ok) {
    if (r.status === 403) {
      return page(t("support.notAgent"), h("p", {}, t("support.notAgentText")),
      h("p", {}, h("a", { class: "button", href: "/ui/consoles" }, t("support.toConsoles"))));
    }
    return page(t("support.title"), notice(apiMessage(r.error), "error"));
  }
  const requests = r.data.requests;
  page(t("support.title"),
    h("p", { class: "lead" }, t("support.lead")),
    requests.length ? requests.map(supportRequest) : h("p", { class: "muted", id: "queue-empty" },
      t("support.empty")));
}

// ---- single sign-on: the sign-in buttons and the account's linked identities ----------------------
const SSO_PROVIDERS = [["google", "Google"], ["microsoft", "Microsoft"], ["github", "GitHub"]];

// Plain links: /sso/{provider} is a browser navigation to the provider and back, not an API call.
// They sit under the passkey, after the sign-in card's one "or".
function ssoButtons() {
  const next = query("next");
  const back = next.startsWith("/ui/") ? "?return_to=" + encodeURIComponent(next) : "";
  return h("div", { class: "actions sso", role: "group", "aria-label": t("sso.otherAccount") },
    SSO_PROVIDERS.map(([id, label]) => h("a",
      { class: "button secondary", href: `/sso/${id}${back}`, id: `sso-${id}` }, t("sso.signInWith", { provider: label }))));
}

function identitiesCard() {
  const names = Object.fromEntries(SSO_PROVIDERS);
  const list = h("ul", { class: "list", id: "identities" });
  const status = h("div", { "aria-live": "polite" });
  const load = async () => {
    const r = await api("GET", "/account/identities");
    if (!r.ok) return list.replaceChildren(h("li", {}, r.error.message));
    list.replaceChildren(...(r.data.identities.length ? r.data.identities.map((i) => {
      const name = names[i.provider] || i.provider;
      return h("li", { class: "row", "data-provider": i.provider },
        h("div", {}, h("div", {}, name, i.email ? ` (${i.email})` : ""), h("div", { class: "meta" },
          t("sso.linked", { date: new Date(i.linked_at).toLocaleDateString(locale) }) +
          (i.last_used_at ? t("sso.lastUsed", { date: new Date(i.last_used_at).toLocaleString(locale) })
            : t("sso.notUsed")))),
        h("button", { type: "button", class: "danger", "aria-label": t("sso.disconnectName", { provider: name }), onclick: async () => {
          status.replaceChildren();
          const d = await api("DELETE", "/account/identities/" + encodeURIComponent(i.id));
          if (!d.ok) {
            if (d.error.code === "last_sign_in_method") {
              return status.replaceChildren(notice(t("sso.lastWay"), "error"));
            }
            if (d.error.code === "reauthentication_required") {
              return status.replaceChildren(notice(t("sso.reauth"),
                "error"), reauthenticate(d.error, "/ui/account"));
            }
            return status.replaceChildren(notice(d.error.message, "error"));
          }
          status.replaceChildren(notice(t("sso.disconnected", { provider: name })));
          load();
        } }, t("sso.disconnect")));
    }) : [h("li", { class: "muted" }, t("sso.none"))]));
  };
  load();
  return card(t("sso.title"),
    h("p", {}, t("sso.lead")),
    status, list, h("div", { class: "actions" }, SSO_PROVIDERS.map(([id, label]) => h("a",
      { class: "button secondary", id: `connect-${id}`,
        href: `/sso/${id}?intent=link&return_to=${encodeURIComponent("/ui/account")}` }, t("sso.connect", { provider: label })))));
}


function notFound() {
  setNav(null);
  page(t("notFound.title"), h("p", {}, h("a", { href: "/ui/" }, t("notFound.home"))));
}

const ROUTES = {
  "": home, verify: verifySignup, consoles, account, reset, "reset/complete": resetComplete, mfa,
  "verify-email": verifyEmail, outbox, code: codeLogin, "confirm-email": confirmEmail,
};
Object.assign(ROUTES, { recovery: recoveryRequest, "recovery/cancel": recoveryCancel, support: supportQueue });

setLocale(browserLocale());
const name = location.pathname.replace(/^\/ui\/?/, "").replace(/\/$/, "");
(ROUTES[name] || notFound)().catch(() => {
  page(t("crash.title"), notice(t("crash.text"), "error"));
});
