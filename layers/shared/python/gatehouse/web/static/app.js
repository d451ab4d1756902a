// Gatehouse pages: one ES module, no build step, no third-party code. It renders the page the path
// names and talks to the JSON API with the session cookie (credentials: "same-origin"). Nothing is
// ever written with innerHTML: every text, including API messages and emails, goes in as text.

const main = document.getElementById("main");
const nav = document.getElementById("nav");

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
      error: { code: "network", message: "Gatehouse could not be reached. Check your connection and try again." } };
  }
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  const error = response.ok ? null : (data && data.error) ||
    { code: "http_" + response.status, message: "The request failed (" + response.status + ")." };
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
  document.title = title + " · Gatehouse";
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
    items.push(link("/ui/consoles", "Consoles"), link("/ui/account", "Account"), link("/ui/mfa", "Security"));
  } else if (!session) {
    items.push(link("/ui/", "Sign in"));
  }
  // The outbox only exists on the local stage, which runs on this machine.
  if (["localhost", "127.0.0.1"].includes(location.hostname)) items.push(link("/ui/outbox", "Outbox"));
  if (session) items.push(h("button", { type: "button", class: "secondary", id: "logout", onclick: logout }, "Sign out"));
  nav.replaceChildren(...items);
}

async function logout() {
  await api("POST", "/logout");
  go("/ui/");
}

async function currentSession() {
  const r = await api("GET", "/session");
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
      showError(el, { message: "Some fields are missing.",
        details: { fields: Object.fromEntries(missing.map((f) => [f.name, "This field is required."])) } });
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
    box.replaceChildren(h("ul", { class: "reasons" }, details.reasons.map((r) => h("li", {}, r))));
    passwordField.setAttribute("aria-invalid", "true");
    first = passwordField;
  }
  for (const [name, message] of Object.entries(fields)) {
    const box = el.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
    const control = el.elements[name];
    if (!box || !control) continue;
    box.replaceChildren(message);
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  const alert = el.querySelector("[data-role=form-error]");
  let message = error.message || "Something went wrong.";
  if (error.code === "rate_limited" && details.retry_after) {
    message += ` You can try again in ${Math.ceil(details.retry_after / 60)} minute(s).`;
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
    return { error: { message: "This browser does not support passkeys." } };
  }
  try {
    const publicKey = publicKeyOptions(options);
    const cred = kind === "create" ? await navigator.credentials.create({ publicKey })
      : await navigator.credentials.get({ publicKey });
    return { credential: credentialJson(cred) };
  } catch (err) {
    return { error: { message: err && err.name === "NotAllowedError"
      ? "The passkey request was cancelled or timed out." : "The passkey could not be used." } };
  }
}

// ---- after a login ---------------------------------------------------------------------------
function afterLogin(result) {
  if (result.status === "mfa_required") go("/ui/mfa");
  else go(query("next").startsWith("/ui/") ? query("next") : "/ui/consoles");
}

// ---- pages -----------------------------------------------------------------------------------
const PASSWORD_HINT = "At least 8 characters. A few unrelated words make a strong one.";

async function home() {
  const session = await currentSession();
  setNav(session);
  if (session && session.status === "mfa_required") return go("/ui/mfa");
  if (session) {
    return page("Welcome back", h("div", { class: "card narrow" },
      h("p", {}, "Signed in as ", h("strong", { id: "who" }, session.email), "."),
      h("div", { class: "actions" }, h("a", { class: "button", href: "/ui/consoles" }, "Open a console"),
        h("a", { class: "button secondary", href: "/ui/account" }, "Your account"))));
  }
  const signIn = form({ id: "login-form", submit: "Sign in", fields: [
    { name: "email", label: "Email", type: "email", autocomplete: "username" },
    { name: "password", label: "Password", type: "password", autocomplete: "current-password", trim: false },
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
  } }, "Sign in with a passkey");
  const signUp = form({ id: "signup-form", submit: "Create my account", fields: [
    { name: "email", label: "Email", type: "email", autocomplete: "email" },
    { name: "password", label: "Choose a password", type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT, trim: false },
    { name: "locale", label: "Language of our emails", options: [["en", "English"], ["fr", "Français"]] },
  ], onsubmit: async (values, el) => {
    const r = await api("POST", "/signup", values);
    if (!r.ok) return r.error;
    el.replaceWith(notice(`We sent a link to ${values.email}. Follow it within 30 minutes to create your account.`));
    document.querySelector("[role=status]").setAttribute("tabindex", "-1");
    document.querySelector("[role=status]").focus();
  } });
  page("Sign in to Gatehouse",
    h("p", { class: "lead" }, "One account for the Scaleway and Dedibox consoles."),
    h("div", { class: "grid" },
      card("Sign in", signIn, h("div", { class: "actions" },
        h("a", { href: "/ui/reset", id: "forgot" }, "Forgot your password?"), codeLoginLink(signIn)),
      h("p", { class: "or" }, "or"), passkey, ssoButtons()),
      card("Create an account", signUp)));
}

async function verifySignup() {
  setNav(null);
  const token = query("token");
  page("Confirming your email…");
  const r = token ? await api("POST", "/signup/verify", { token }) : { ok: false,
    error: { message: "This link has no token. Open the link from your email again." } };
  if (!r.ok) {
    return page("This link did not work", notice(r.error.message, "error"),
      h("p", {}, "Already followed it? Your account exists: ", h("a", { href: "/ui/", id: "to-sign-in" }, "sign in"),
        "."),
      h("p", {}, "Otherwise ", h("a", { href: "/ui/" }, "sign up again"), " to get a new link."));
  }
  page("Account created", notice("Your account is ready in the Scaleway and Dedibox consoles. Sign in to continue."),
    h("p", {}, h("a", { class: "button", href: "/ui/", id: "to-sign-in" }, "Sign in")));
}

const ACTIONS = {
  set_password: "Your password was erased when your accounts were unified: choose a new one.",
  enroll_mfa: "Set up a second factor (an authenticator app or a passkey) to protect your account.",
  verify_email: "Confirm your email address: follow the link we emailed you, or ask for it again below.",
};

async function requiredActions(actions) {
  const parts = [h("p", { class: "lead" }, "Before you open a console, your account needs attention:")];
  for (const action of actions) {
    if (action === "set_password") {
      parts.push(card("Choose a new password", h("p", {}, ACTIONS.set_password), form({ id: "set-password-form",
        submit: "Save the password", fields: [{ name: "new_password", label: "New password", type: "password",
          autocomplete: "new-password", hint: PASSWORD_HINT, trim: false }],
        onsubmit: async (values) => {
          const r = await api("POST", "/password/set", values);
          if (!r.ok) return r.error;
          location.reload();
        } })));
    } else if (action === "enroll_mfa") {
      parts.push(card("Set up a second factor", h("p", {}, ACTIONS.enroll_mfa),
        h("a", { class: "button", href: "/ui/mfa" }, "Set up a second factor")));
    } else if (action === "verify_email") {
      parts.push(await verifyEmailCard());
    } else {
      parts.push(card("Action needed", h("p", {}, ACTIONS[action] || action),
        h("a", { class: "button secondary", href: "/ui/account" }, "Go to your account")));
    }
  }
  page("One more step", ...parts);
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
    return page("Consoles", notice(r.error.message, "error"));
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
    alert.replaceChildren(s.error.message);
  };
  const cards = r.data.consoles.map((c) => {
    const current = r.data.current === c.id;
    const openButton = (x, label, cls) => {
      const button = h("button", { type: "button", class: cls, "data-console": c.id, "data-context": x ? x.id : "" },
        label);
      button.addEventListener("click", () => open(c.id, x ? x.id : null, button));
      return button;
    };
    const heading = h("h2", { id: "console-" + c.id }, c.name, current ? h("span", { class: "badge" }, "current") : null);
    if (c.contexts.length <= 1) {
      const x = c.contexts[0] || null;
      return h("section", { class: "card console", "aria-labelledby": "console-" + c.id }, heading,
        h("p", { class: "muted" }, current ? `You are using ${c.name}. Open it again to go back.`
          : `Manage your ${c.name} resources.`),
        openButton(x, `Open ${c.name}`, "open"));
    }
    return h("section", { class: "card console", "aria-labelledby": "console-" + c.id }, heading,
      h("p", { class: "muted" }, c.contexts.some((x) => x.owner) ? "Choose the account to open."
        : "Your accounts were unified: choose the one to open."),
      h("ul", { class: "list" }, c.contexts.map((x) => h("li", { class: "row" },
        h("div", {}, h("div", {}, x.name), h("div", { class: "meta" },
          current && r.data.context === x.id ? "You are using this one"
            : x.owner ? `Shared by ${x.owner} (${x.access === "outsourcing" ? "chosen resources" : "whole account"})`
              : (x.legacy_id ? "Account " + x.legacy_id : ""))),
        openButton(x, `Open ${c.name}: ${x.name}`, "")))));
  });
  page("Choose a console", h("p", { class: "lead" }, "Signed in as ", h("strong", { id: "who" }, session.email),
    ". Open a console, or switch to the other one at any time."), alert, await unificationCard(),
    h("div", { class: "grid" }, cards));
}

// GET /unification in words: where the account stands, what changed and why, whom to ask.
const UNIFICATION_CHANGES = {
  password: {
    unchanged: "Your password does not change.",
    erased: "Several Dedibox accounts shared this address, so none of their passwords was kept: " +
      "set a new one (sign in with a code sent to this address).",
  },
  mfa: {
    unchanged: "Your second factor does not change.",
    disabled_sms: "SMS is retired as a second factor: enrol an authenticator app or a passkey.",
    erased: "Your second factor was reset: enrol a new one (an authenticator app or a passkey).",
    replaced_by_scaleway: "Your Scaleway second factor now protects the whole account.",
  },
};

async function unificationCard() {
  const u = await api("GET", "/unification");
  if (!u.ok || u.data.state === "not_affected") return null;
  const v = u.data;
  const done = v.state === "completed";
  const lines = [UNIFICATION_CHANGES.password[v.changes.password], UNIFICATION_CHANGES.mfa[v.changes.mfa],
    v.legacy_access ? "Your Dedibox login at console.online.net keeps working."
      : "Sign in to Dedibox here, with this account."].filter(Boolean);
  return h("section", { class: "card", id: "unification", "aria-labelledby": "unification-title" },
    h("h2", { id: "unification-title" }, done ? "Your Scaleway and Dedibox accounts are now one"
      : "Your Scaleway and Dedibox accounts are becoming one"),
    h("ul", {}, lines.map((line) => h("li", {}, line))),
    h("p", { class: "muted" }, `Questions? Contact ${v.support === "dedibox" ? "Dedibox" : "Scaleway"} support.`));
}

async function account() {
  const session = await currentSession();
  if (!session) return go("/ui/?next=/ui/account");
  if (session.status === "mfa_required") return go("/ui/mfa");
  setNav(session);
  const r = await api("GET", "/account");
  if (!r.ok) return page("Your account", notice(r.error.message, "error"));
  const a = r.data;
  const saved = h("div", { role: "status", "aria-live": "polite" });
  const profile = form({ id: "profile-form", submit: "Save", fields: [
    { name: "name", label: "Name", autocomplete: "name", value: a.name || "", required: false },
    { name: "locale", label: "Language", options: [["en", "English"], ["fr", "Français"]], value: a.locale || "en" },
    { name: "postal_address", label: "Postal address", textarea: true, autocomplete: "street-address",
      value: a.postal_address || "", required: false },
    { name: "organization", label: "Organization", autocomplete: "organization", value: a.organization || "",
      required: false },
  ], onsubmit: async (values) => {
    saved.replaceChildren();
    const p = await api("PATCH", "/account", values);
    if (!p.ok) return p.error;
    saved.replaceChildren(notice("Your changes were saved."));
  } });
  const email = form({ id: "email-form", submit: "Change my email", fields: [
    { name: "new_email", label: "New email", type: "email", autocomplete: "email" },
    { name: "password", label: "Current password", type: "password", autocomplete: "current-password", trim: false },
  ], onsubmit: async (values, el) => {
    const p = await api("POST", "/account/email", values);
    if (!p.ok) return p.error;
    el.replaceWith(notice(`We sent a link to ${values.new_email}. Your address changes when you follow it.`));
  } });
  const password = form({ id: "password-form", submit: "Change my password", fields: [
    { name: "current_password", label: "Current password", type: "password", autocomplete: "current-password",
      trim: false },
    { name: "new_password", label: "New password", type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT, trim: false },
  ], onsubmit: async (values, el) => {
    const p = await api("POST", "/password/change", values);
    if (!p.ok) return p.error;
    el.reset();
    el.prepend(notice("Your password was changed. Your other sessions were signed out."));
    loadSessions();
  } });
  const sessions = h("ul", { class: "list", id: "sessions" });
  const loadSessions = async () => {
    const s = await api("GET", "/sessions");
    if (!s.ok) return sessions.replaceChildren(h("li", {}, s.error.message));
    sessions.replaceChildren(...s.data.sessions.map((x) => h("li", { class: "row" },
      h("div", {}, h("div", { title: x.user_agent || null }, x.device || x.user_agent || "Unknown device", x.current ? h("span", { class: "badge" }, "this one") : null),
        h("div", { class: "meta" }, `Signed in ${new Date(x.created_at).toLocaleString()}, last seen ${new Date(x.last_seen_at).toLocaleString()}`)),
      x.current ? null : h("button", { type: "button", class: "danger", onclick: async () => {
        const d = await api("DELETE", "/sessions/" + encodeURIComponent(x.id));
        if (d.ok) loadSessions();
      } }, "Sign out this session"))));
  };
  page("Your account", h("p", { class: "lead" }, "Signed in as ", h("strong", { id: "who" }, a.email)),
    h("div", { class: "grid" }, card("Profile", saved, profile),
      h("div", {}, card("Email address", h("p", { class: "muted" }, "Currently ", a.email), email),
        phoneCard(a), card("Password", password))),
    card("Where you are signed in", sessions),
    identitiesCard(),
    card("Second factors", h("p", {}, "Protect your account with an authenticator app or a passkey."),
      h("a", { class: "button secondary", href: "/ui/mfa" }, "Manage second factors")),
    apiKeys());
  loadSessions();
}

function apiKeys() {
  const list = h("ul", { class: "list", id: "api-keys" });
  const shown = h("div", { "aria-live": "polite" });
  const load = async () => {
    const r = await api("GET", "/api-keys");
    if (!r.ok) return list.replaceChildren(h("li", {}, r.error.message));
    list.replaceChildren(...(r.data.api_keys.length ? r.data.api_keys.map((k) => h("li", { class: "row" },
      h("div", {}, h("div", {}, k.name), h("div", { class: "meta" }, `${k.key_id}, ` +
        (k.context ? `Dedibox account ${k.context.replace(/^dedibox-/, "")} only` : "every console") +
        `, made ${new Date(k.created_at).toLocaleDateString()}`)),
      h("button", { type: "button", class: "danger", onclick: async () => {
        const d = await api("DELETE", "/api-keys/" + encodeURIComponent(k.key_id));
        if (!d.ok) return shown.replaceChildren(notice(d.error.message, "error"));
        shown.replaceChildren(notice(`The key ${k.name} was deleted: it no longer works.`));
        load();
      } }, "Delete"))) : [h("li", { class: "muted" }, "No API key yet.")]));
  };
  const make = form({ id: "api-key-form", submit: "Make a key", fields: [
    { name: "name", label: "Name of the key", hint: "What will use it, for example: deploy bot." },
  ], onsubmit: async (values, el) => {
    const m = await api("POST", "/api-keys", values);
    if (!m.ok) {
      const again = reauthenticate(m.error, "/ui/account");
      if (again) el.after(again);
      return m.error;
    }
    el.reset();
    shown.replaceChildren(h("div", { class: "card", id: "api-key-made" },
      h("p", {}, "Copy the secret now: it will not be shown again."),
      h("p", {}, "Key id: ", h("span", { class: "secret", id: "api-key-id" }, m.data.key_id)),
      h("p", {}, "Secret: ", h("span", { class: "secret", id: "api-key-secret" }, m.data.secret))));
    load();
  } });
  load();
  return card("API keys", h("p", {}, "Keys let your scripts use the Scaleway and Dedibox APIs as you."),
    shown, list, make);
}

// The phone is a recovery channel: it changes only once the code texted to the new number comes back.
function phoneCard(a) {
  const current = h("p", { class: "muted", id: "phone-current" },
    a.phone ? "Currently " + a.phone : "No phone yet: add one to reset your password by SMS.");
  const status = h("div", { "aria-live": "polite" });
  const ask = form({ id: "phone-form", submit: "Text me a code", fields: [
    { name: "phone", label: "New phone", type: "tel", autocomplete: "tel",
      hint: "International format, for example +33612345678." },
    { name: "password", label: "Current password", type: "password", autocomplete: "current-password", trim: false },
  ], onsubmit: async (values, el) => {
    const r = await api("POST", "/account/phone", values);
    if (!r.ok) {
      const again = reauthenticate(r.error, "/ui/account");
      if (again) el.after(again);
      return r.error;
    }
    const confirm = form({ id: "phone-code-form", submit: "Confirm my phone", fields: [
      { name: "code", label: "Code from the SMS", autocomplete: "one-time-code", inputmode: "numeric" },
    ], onsubmit: async (code, codeForm) => {
      const v = await api("POST", "/account/phone/verify", code);
      if (!v.ok) return v.error;
      current.textContent = "Currently " + v.data.phone;
      codeForm.replaceWith(notice(`Your phone is now ${v.data.phone}. Password reset codes by SMS go to it.`));
    } });
    status.replaceChildren(notice(`We texted a code to ${values.phone}. It works for 10 minutes; ` +
      "your phone stays the one on file until you enter it."));
    el.replaceWith(confirm);
  } });
  return card("Phone", current, status, ask);
}

function resetRequestForm(channel) {
  return form({ id: `reset-${channel}-form`, submit: channel === "email" ? "Email me a link" : "Text me a code",
    fields: [
      { name: "kind", label: "I will give", options: [["email", "my email address"],
        ["identifier", "my Dedibox login"], ["domain", "one of my domain names"]] },
      { name: "value", label: "Email, login or domain", autocomplete: "username" },
    ], onsubmit: async (values, el) => {
      const r = await api("POST", `/password/reset/${channel}`, { [values.kind]: values.value });
      if (!r.ok) {
        const fields = (r.error.details || {}).fields || {};
        if (fields[values.kind]) fields.value = fields[values.kind];
        return r.error;
      }
      if (channel === "email") {
        el.replaceWith(notice("If an account matches, we emailed it a link to choose a new password. " +
          "The link works for 30 minutes."));
      } else {
        el.replaceWith(smsCompleteForm(r.data.flow_id));
      }
    } });
}

function smsCompleteForm(flowId) {
  const done = form({ id: "reset-sms-complete-form", submit: "Change my password", fields: [
    { name: "code", label: "Code from the SMS", inputmode: "numeric", autocomplete: "one-time-code" },
    { name: "new_password", label: "New password", type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT, trim: false },
  ], onsubmit: async (values, el) => {
    const r = await api("POST", "/password/reset/sms/complete", { flow_id: flowId, ...values });
    if (!r.ok) return r.error;
    el.replaceWith(resetDone());
  } });
  return h("div", {}, notice("If an account matches and has a phone, we texted it a code. It works for 10 minutes."),
    done);
}

function resetDone() {
  return h("div", {}, notice("Your password was changed and every session was signed out."),
    h("p", {}, h("a", { class: "button", href: "/ui/", id: "to-sign-in" }, "Sign in")));
}

async function reset() {
  setNav(await currentSession());
  page("Reset your password", h("p", { class: "lead" }, "Tell us which account, and how to reach you."),
    h("div", { class: "grid" }, card("By email", resetRequestForm("email")),
      card("By SMS", resetRequestForm("sms"))),
    h("p", { class: "muted" }, "No longer have access to your email or phone? Contact support."));
}

async function resetComplete() {
  setNav(null);
  const token = query("token");
  // Say at once when the link is used or expired, rather than after a new password was typed.
  const valid = token ? await api("POST", "/password/reset/email/check", { token }) : { ok: false,
    error: { code: "invalid_token", message: "This link has no token. Open the link from your email again." } };
  if (!valid.ok && valid.error.code === "invalid_token") {
    return page("This link no longer works", notice(valid.error.message, "error"),
      h("p", {}, "A reset link works once, for 30 minutes, and a newer link replaces it."),
      h("p", {}, h("a", { class: "button", href: "/ui/reset", id: "new-link" }, "Ask for a new link")));
  }
  page("Choose a new password", card("New password", form({ id: "reset-complete-form", submit: "Change my password",
    fields: [{ name: "new_password", label: "New password", type: "password", autocomplete: "new-password",
      hint: PASSWORD_HINT, trim: false }],
    onsubmit: async (values, el) => {
      const r = await api("POST", "/password/reset/email/complete", { token, new_password: values.new_password });
      if (!r.ok) {
        if (r.error.code === "invalid_token" && !document.getElementById("new-link")) {
          el.after(h("p", { id: "new-link" }, h("a", { href: "/ui/reset" }, "Ask for a new link")));
        }
        return r.error;
      }
      el.replaceWith(resetDone());
    } })));
}

async function mfaChallenge(session) {
  const methods = session.mfa_methods || [];
  const done = (r) => (r.ok ? afterLogin({ status: "authenticated" }) : r.error);
  const parts = [h("p", { class: "lead" }, "Confirm it is you with your second factor.")];
  if (methods.includes("totp")) {
    parts.push(card("Authenticator app", form({ id: "totp-form", submit: "Verify", fields: [
      { name: "code", label: "6-digit code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 },
    ], onsubmit: async (values) => done(await api("POST", "/mfa/verify", { method: "totp", code: values.code })) })));
  }
  if (methods.includes("webauthn") || methods.includes("passkey")) {
    const alert = h("div", { class: "alert error", role: "alert" });
    parts.push(card("Passkey", alert, h("button", { type: "button", id: "passkey-verify", onclick: async () => {
      alert.replaceChildren();
      const c = await api("POST", "/mfa/webauthn/challenge");
      if (!c.ok) return alert.replaceChildren(c.error.message);
      const got = await webauthn("get", c.data.options.publicKey || c.data.options);
      if (got.error) return alert.replaceChildren(got.error.message);
      const r = await api("POST", "/mfa/verify", { method: "webauthn", credential: got.credential });
      if (!r.ok) return alert.replaceChildren(r.error.message);
      afterLogin({ status: "authenticated" });
    } }, "Use my passkey")));
  }
  parts.push(card("Recovery code", form({ id: "recovery-form", submit: "Use this code", fields: [
    { name: "code", label: "Recovery code", autocomplete: "off",
      hint: "One of the codes you saved when you set up your second factor." },
  ], onsubmit: async (values) => done(await api("POST", "/mfa/verify",
    { method: "recovery_code", code: values.code })) })));
  page("Second step", h("div", { class: "grid" }, parts));
}

// Changing second factors needs a recent sign-in: offer the way to get one.
function reauthenticate(error, next = "/ui/mfa") {
  if (error.code !== "reauthentication_required") return null;
  return h("p", {}, h("button", { type: "button", class: "secondary", onclick: async () => {
    await api("POST", "/logout");
    go("/ui/?next=" + encodeURIComponent(next));
  } }, "Sign in again"));
}

function recoveryCodes(codes) {
  return h("div", { class: "card", id: "recovery-codes" }, h("h2", {}, "Your recovery codes"),
    h("p", {}, "Save them somewhere safe: each one signs you in once if you lose your second factor. " +
      "They will not be shown again."),
    h("ul", { class: "codes" }, codes.map((c) => h("li", {}, c))));
}

async function mfaManage(session) {
  const r = await api("GET", "/mfa");
  const status = h("div", { "aria-live": "polite" });
  const list = h("ul", { class: "list", id: "mfa-methods" });
  const left = h("p", { class: "muted", id: "recovery-codes-left" });
  const render = (data) => {
    left.replaceChildren(`Recovery codes left: ${data.recovery_codes_remaining ?? 0}`);
    list.replaceChildren(...(data.methods.length ? data.methods.map((m) => h("li", { class: "row" },
      h("div", {}, h("div", {}, m.name || m.type), h("div", { class: "meta" },
        (m.type === "totp" ? "Authenticator app" : "Passkey") + ", added " + new Date(m.created_at).toLocaleDateString())),
      h("button", { type: "button", class: "danger", onclick: async () => {
        const d = await api("DELETE", "/mfa/" + encodeURIComponent(m.id));
        if (!d.ok) return status.replaceChildren(notice(d.error.message, "error"));
        reloadList();
      } }, "Remove"))) : [h("li", { class: "muted" }, "No second factor yet.")]));
  };
  const reloadList = async () => {
    const again = await api("GET", "/mfa");
    if (again.ok) render(again.data);
  };
  if (!r.ok) return page("Second factors", notice(r.error.message, "error"));
  render(r.data);
  const totpArea = h("div", {});
  const startTotp = h("button", { type: "button", id: "totp-start", onclick: async () => {
    const t = await api("POST", "/mfa/totp");
    if (!t.ok) return totpArea.replaceChildren(notice(t.error.message, "error"), reauthenticate(t.error));
    // The SVG goes in an <img> as a data: URI: an image cannot run script, and the CSP allows it.
    const qr = t.data.qr_svg ? "data:image/svg+xml;charset=utf-8," + encodeURIComponent(t.data.qr_svg) : null;
    totpArea.replaceChildren(
      qr ? h("img", { class: "qr", src: qr, alt: "QR code to scan with your authenticator app" }) : null,
      h("p", {}, "Scan the QR code, or enter this key in your authenticator app:"),
      h("p", { class: "secret", id: "totp-secret" }, t.data.secret),
      h("p", {}, h("a", { href: t.data.otpauth_uri }, "Open in an authenticator app on this device")),
      form({ id: "totp-confirm-form", submit: "Confirm", fields: [
        { name: "code", label: "6-digit code from the app", inputmode: "numeric", autocomplete: "one-time-code",
          maxlength: 6 }],
      onsubmit: async (values) => {
        const c = await api("POST", "/mfa/totp/confirm", values);
        if (!c.ok) return c.error;
        totpArea.replaceChildren(notice("Your authenticator app is set up."),
          c.data.recovery_codes ? recoveryCodes(c.data.recovery_codes) : null);
        reloadList();
      } }));
    totpArea.querySelector("input").focus();
  } }, "Add an authenticator app");
  const passkeyForm = form({ id: "passkey-register-form", submit: "Add a passkey", fields: [
    { name: "name", label: "Name of this passkey", hint: "For example: work laptop.", value: "My passkey" },
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
    el.prepend(notice("Your passkey was added."));
    if (v.data && v.data.recovery_codes) el.after(recoveryCodes(v.data.recovery_codes));
    reloadList();
  } });
  const codesArea = h("div", {});
  const newCodes = h("button", { type: "button", class: "secondary", id: "new-recovery-codes", onclick: async () => {
    const c = await api("POST", "/mfa/recovery-codes");
    codesArea.replaceChildren(c.ok ? recoveryCodes(c.data.recovery_codes) : notice(c.error.message, "error"));
    reloadList();
  } }, "Make new recovery codes");
  const actions = session.required_actions || [];
  page("Second factors",
    actions.includes("enroll_mfa") ? notice(ACTIONS.enroll_mfa, "error") : null,
    status, card("Your second factors", list, left,
      h("div", { class: "actions" }, newCodes), codesArea),
    h("div", { class: "grid" }, card("Authenticator app", totpArea, startTotp), card("Passkey", passkeyForm)));
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
  page("Confirming your new address…");
  const r = token ? await api("POST", "/account/email/verify", { token }) : { ok: false,
    error: { message: "This link has no token. Open the link from your email again." } };
  if (!r.ok) {
    return page("This link did not work", notice(r.error.message, "error"),
      h("p", {}, "Already followed it? Your account shows the address it uses now. Otherwise change it again ",
        "for a new link: ", h("a", { href: "/ui/account", id: "to-account" }, "go to your account"), "."));
  }
  page("Email address changed", notice("Your account now uses this address" +
    (r.data && r.data.email ? `: ${r.data.email}.` : ".")), h("p", {}, h("a", { href: "/ui/" }, "Continue")));
}

async function outbox() {
  setNav(await currentSession());
  const to = query("to");
  const r = await api("GET", "/dev/outbox" + (to ? "?to=" + encodeURIComponent(to) : ""));
  const filter = h("form", { id: "outbox-filter", method: "get", action: "/ui/outbox", class: "actions" },
    h("label", { for: "outbox-to" }, "Recipient"),
    h("input", { id: "outbox-to", name: "to", type: "text", value: to, placeholder: "someone@example.com" }),
    h("button", { type: "submit", class: "secondary" }, "Filter"));
  if (!r.ok) return page("Outbox", notice(r.error.message, "error"));
  const messages = r.data.messages;
  page("Outbox", h("p", { class: "lead" }, "The mail and SMS the local stack sent, newest last. Nothing leaves " +
    "your machine."), card("Filter", filter),
  messages.length ? h("ol", { class: "list", id: "messages" }, messages.map((m) => h("li", { class: "card message" },
    h("header", {}, h("h2", {}, m.subject || (m.channel === "sms" ? "SMS" : "(no subject)")),
      h("span", { class: "meta muted" }, `${m.channel} to ${m.to}, ${new Date(m.sent_at).toLocaleString()}`)),
    h("pre", {}, linkified(m.text || ""))))) : h("p", { class: "muted" }, "No message yet."));
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
  } }, "Email me a code");
}

async function codeLogin() {
  const session = await currentSession();
  setNav(session);
  if (session && session.status === "mfa_required") return go("/ui/mfa");
  const area = h("div", {});
  const ask = (email) => form({ id: "code-request-form", submit: "Email me a code", fields: [
    { name: "email", label: "Email", type: "email", autocomplete: "username", value: email,
      hint: "We email you an 8-digit code that signs you in once, within 10 minutes." },
  ], onsubmit: async (values) => {
    const r = await api("POST", "/login/code", values);
    if (!r.ok) return r.error;
    area.replaceChildren(enter(values.email));
    area.querySelector("input[name=code]").focus();
  } });
  const enter = (email) => h("div", {},
    notice(`If ${email} belongs to an account, we emailed it an 8-digit code. Enter it below.`),
    form({ id: "code-verify-form", submit: "Sign in", fields: [
      { name: "code", label: "8-digit code from the email", inputmode: "numeric", autocomplete: "one-time-code",
        maxlength: 9 },
    ], onsubmit: async (values) => {
      const r = await api("POST", "/login/code/verify", { email, code: values.code.replace(/\s+/g, "") });
      if (!r.ok) return r.error;
      afterLogin(r.data);
    } }),
    h("p", {}, h("button", { type: "button", class: "secondary", id: "code-again", onclick: () => {
      area.replaceChildren(ask(email));
    } }, "Send a new code")));
  area.replaceChildren(ask(query("email")));
  page("Sign in with a code", card("Sign in with an emailed code", area),
    h("p", {}, h("a", { href: "/ui/" }, "Sign in with your password instead")));
}

// The card of the `verify_email` action: the link can always be sent again.
async function verifyEmailCard() {
  const session = await currentSession();
  const status = h("div", { "aria-live": "polite" });
  const again = h("button", { type: "button", id: "confirm-email-again", onclick: async () => {
    again.disabled = true;
    const r = await api("POST", "/account/email/confirm");
    again.disabled = false;
    status.replaceChildren(r.ok ? notice(`We sent a new link to ${session ? session.email : "your address"}. ` +
      "Follow it within 30 minutes.") : notice(r.error.message, "error"));
  } }, "Send the link again");
  return card("Confirm your email address", h("p", {}, ACTIONS.verify_email), status,
    h("div", { class: "actions" }, again, h("a", { class: "button secondary", href: "/ui/account" },
      "Use another address")));
}

async function confirmEmail() {
  const session = await currentSession();
  setNav(session);
  const token = query("token");
  page("Confirming your email address…");
  const r = token ? await api("POST", "/account/email/verify", { token }) : { ok: false,
    error: { message: "This link has no token. Open the link from your email again." } };
  if (!r.ok) {
    return page("This link did not work", notice(r.error.message, "error"),
      session && session.status === "authenticated" ? await verifyEmailCard()
        : h("p", {}, h("a", { href: "/ui/" }, "Sign in"), " to ask for a new link."));
  }
  page("Email address confirmed", notice(`Thank you: ${r.data.email} is confirmed.`),
    h("p", {}, h("a", { class: "button", href: "/ui/consoles", id: "to-consoles" }, "Continue to your consoles")));
}

// ---- single sign-on: the sign-in buttons and the account's linked identities ----------------------
const SSO_PROVIDERS = [["google", "Google"], ["microsoft", "Microsoft"], ["github", "GitHub"]];

// Plain links: /sso/{provider} is a browser navigation to the provider and back, not an API call.
// They sit under the passkey, after the sign-in card's one "or".
function ssoButtons() {
  const next = query("next");
  const back = next.startsWith("/ui/") ? "?return_to=" + encodeURIComponent(next) : "";
  return h("div", { class: "actions sso", role: "group", "aria-label": "Sign in with another account" },
    SSO_PROVIDERS.map(([id, label]) => h("a",
      { class: "button secondary", href: `/sso/${id}${back}`, id: `sso-${id}` }, `Sign in with ${label}`)));
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
          `Linked ${new Date(i.linked_at).toLocaleDateString()}, ` +
          (i.last_used_at ? `last used ${new Date(i.last_used_at).toLocaleString()}` : "not used to sign in yet"))),
        h("button", { type: "button", class: "danger", "aria-label": `Disconnect ${name}`, onclick: async () => {
          status.replaceChildren();
          const d = await api("DELETE", "/account/identities/" + encodeURIComponent(i.id));
          if (!d.ok) {
            if (d.error.code === "last_sign_in_method") {
              return status.replaceChildren(notice("This is your only way to sign in: set a password first.", "error"));
            }
            if (d.error.code === "reauthentication_required") {
              return status.replaceChildren(notice("Sign in again to disconnect it: your last sign-in is too old.",
                "error"), reauthenticate(d.error, "/ui/account"));
            }
            return status.replaceChildren(notice(d.error.message, "error"));
          }
          status.replaceChildren(notice(`${name} was disconnected: it no longer signs you in.`));
          load();
        } }, "Disconnect"));
    }) : [h("li", { class: "muted" }, "No provider connected yet.")]));
  };
  load();
  return card("Sign-in with Google, Microsoft or GitHub",
    h("p", {}, "Connect a provider whose verified email is this account's, then use it to sign in."),
    status, list, h("div", { class: "actions" }, SSO_PROVIDERS.map(([id, label]) => h("a",
      { class: "button secondary", id: `connect-${id}`,
        href: `/sso/${id}?intent=link&return_to=${encodeURIComponent("/ui/account")}` }, `Connect ${label}`))));
}

function notFound() {
  setNav(null);
  page("Page not found", h("p", {}, h("a", { href: "/ui/" }, "Go to the home page")));
}

const ROUTES = {
  "": home, verify: verifySignup, consoles, account, reset, "reset/complete": resetComplete, mfa,
  "verify-email": verifyEmail, outbox, code: codeLogin, "confirm-email": confirmEmail,
};

const name = location.pathname.replace(/^\/ui\/?/, "").replace(/\/$/, "");
(ROUTES[name] || notFound)().catch(() => {
  page("Something went wrong", notice("The page could not be shown. Reload it to try again.", "error"));
});
