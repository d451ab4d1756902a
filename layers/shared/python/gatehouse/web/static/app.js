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
          contextWhose(x) + (current && r.data.context === x.id ? " · you are using this one" : ""))),
        openButton(x, `Open ${c.name}: ${x.name}` + (x.owner ? ` of ${x.owner}` : ""), "", "Open")))));
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
    apiKeys(), membersCard(), outsourcingCard());
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

// ---- members and outsourcing (the account page) and whose a context is (the consoles page) ----

// Why a console did not open, in words: a context that is no longer shared (a member removed, a grant
// revoked or expired since the page was shown) says so and offers the list as it is now.
function openRefused(error) {
  const gone = ((error.details || {}).fields || {}).context;
  if (!gone) return [error.message];
  return [gone + " It may no longer be shared with you. ",
    h("button", { type: "button", class: "secondary", onclick: () => location.reload() }, "Show my consoles again")];
}

// A consoles-page row's line: the account's own contexts from those others share, and what access.
function contextWhose(x) {
  if (!x.owner) return "Your account" + (x.legacy_id ? ` (${x.legacy_id})` : "");
  if (x.access !== "outsourcing") return `Shared by ${x.owner} (whole account)`;
  const n = (x.resources || []).length;
  return `Shared by ${x.owner}: ${n} resource${n === 1 ? "" : "s"}, ${(x.permissions || []).join(", ")}`;
}

// What a refusal to hand over access asks of the person, beside the form's message: sign in again
// (a second factor is enrolled and the sign-in is not recent), or finish the pending steps first.
function handOverHelp(error) {
  if (error.code === "action_required") {
    return h("p", {}, h("a", { class: "button secondary", href: "/ui/consoles" }, "Finish the steps first"));
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
    if (!r.ok) return list.replaceChildren(h("li", {}, r.error.message));
    list.replaceChildren(...(r.data.members.length ? r.data.members.map((m) => h("li", { class: "row" },
      h("div", {}, h("div", {}, m.email), h("div", { class: "meta" },
        `${m.role === "admin" ? "Admin" : "Member"}, added ${new Date(m.created_at).toLocaleDateString()}`)),
      h("button", { type: "button", class: "danger", "aria-label": `Remove ${m.email}`, onclick: async () => {
        const d = await api("DELETE", "/organization/members/" + encodeURIComponent(m.id));
        if (!d.ok) return shown.replaceChildren(notice(d.error.message, "error"));
        shown.replaceChildren(notice(`${m.email} was removed: their access ended.`));
        load();
      } }, "Remove"))) : [h("li", { class: "muted" }, "No member yet.")]));
  };
  const add = form({ id: "member-form", submit: "Add the member", fields: [
    { name: "email", label: "Member's email", type: "email", autocomplete: "off",
      hint: "They reach your whole account in both consoles once signed in with this address." },
    { name: "role", label: "Role", options: [["member", "Member"], ["admin", "Admin"]], value: "member" },
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
    shown.replaceChildren(notice(`${values.email} was added: we emailed them.`));
    load();
  } });
  load();
  return card("Members", h("p", {}, "Members reach your whole account, in the Scaleway and Dedibox consoles."),
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
    if (!r.ok) return list.replaceChildren(h("li", {}, r.error.message));
    list.replaceChildren(...(r.data.outsourcing.length ? r.data.outsourcing.map((g) => h("li", { class: "row" },
      h("div", {}, h("div", {}, g.grantee_email), h("div", { class: "meta" },
        `${g.resources.join(", ")}: ${g.permissions.join(", ")}, ` +
        (g.expires_at ? `until ${new Date(g.expires_at).toLocaleString()}` : "no end date"))),
      h("button", { type: "button", class: "danger", "aria-label": `Revoke ${g.grantee_email}'s access`,
        onclick: async () => {
          const d = await api("DELETE", "/outsourcing/" + encodeURIComponent(g.id));
          if (!d.ok) return shown.replaceChildren(notice(d.error.message, "error"));
          shown.replaceChildren(notice(`The access of ${g.grantee_email} was revoked.`));
          load();
        } }, "Revoke"))) : [h("li", { class: "muted" }, "Nobody has access to chosen resources.")]));
  };
  const show = async () => {
    // The account's own resources, from its contexts in each console.
    const c = await api("GET", "/consoles");
    if (!c.ok && c.error.code === "action_required") {
      // Sharing is refused until then: say so rather than offer a form that cannot succeed.
      return body.replaceChildren(h("p", {}, "Finish the steps your account needs before you share it."),
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
      ? { name: "resources", label: "Other resource ids", optional: true, required: false,
        hint: "Separated by commas, for a resource not listed above." }
      : { name: "resources", label: "Resource ids", optional: true, required: false,
        hint: "Your account lists no resources yet: type their ids, separated by commas." };
    picker.replaceChildren(...groups);
    const actions = checkboxes("Actions they may do", "perm",
      [["read", "read"], ["write", "write"], ["reboot", "reboot"], ["delete", "delete"]]);
    const grant = form({ id: "grant-form", submit: "Give access", fields: [
      { name: "grantee_email", label: "Their email", type: "email", autocomplete: "off" },
      typed,
      { name: "permissions", label: "Other actions", optional: true, required: false,
        hint: "Separated by commas, besides those ticked." },
      { name: "expires_at", label: "Access ends (optional)", type: "datetime-local", optional: true, required: false },
    ], onsubmit: async (values, el) => {
      help.replaceChildren();
      shown.replaceChildren();
      const ticked = (name) => [...el.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
      const resources = [...new Set([...ticked("pick"), ...splitIds(values.resources)])];
      const permissions = [...new Set([...ticked("perm"), ...splitIds(values.permissions)])];
      const missing = {};
      if (!resources.length) missing.resources = "Choose at least one resource.";
      if (!permissions.length) missing.permissions = "Choose at least one action.";
      if (Object.keys(missing).length) return { message: "Some fields are missing.", details: { fields: missing } };
      const payload = { grantee_email: values.grantee_email, resources, permissions };
      if (values.expires_at) payload.expires_at = new Date(values.expires_at).toISOString();
      const g = await api("POST", "/outsourcing", payload);
      if (!g.ok) {
        const more = handOverHelp(g.error);
        if (more) help.replaceChildren(more);
        return g.error;
      }
      el.reset();
      shown.replaceChildren(notice(`${values.grantee_email} was given access to ${resources.length} ` +
        `resource${resources.length === 1 ? "" : "s"}: we emailed them.`));
      load();
    } });
    // The choices go above the fields they complete.
    grant.elements.resources.closest(".field").before(picker);
    grant.elements.permissions.closest(".field").before(actions);
    body.replaceChildren(grant);
  };
  load();
  show();
  return card("Outsourcing", h("p", {}, "Give someone chosen actions on chosen resources only, until a date if you like."),
    shown, list, body, help);
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
    h("p", {}, "No longer have access to your email or phone? ",
      h("a", { href: "/ui/recovery", id: "to-recovery" }, "Ask support to move your account to a new address"), "."));
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

// ---- recovery when the email no longer works: the request, the owner's cancel link, support ----
// The request form reports its errors the GOV.UK way: a summary at the top linking to each field
// in error, and each field's message next to it saying how to fix it.
const RECOVERY_DOCUMENTS = [
  ["identity_1", "First identity document",
    "A passport or national ID card. For a company: the ID card or passport of its legal representative."],
  ["identity_2", "Second identity document",
    "Another passport or ID card. For a company: its certificate of incorporation."],
  ["last_bill", "Last bill", "The account's last Scaleway or Dedibox bill."],
  ["card_statement", "Card statement", "The bank or card statement showing the payment of that bill."],
];
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
  summary.replaceChildren(...[h("h2", { id: "error-summary-title" }, "There is a problem"),
    lead ? h("p", {}, lead) : null,
    h("ul", {}, problems.map(([control, message]) => h("li", {}, control
      ? h("a", { href: "#" + control.id, onclick: (event) => { event.preventDefault(); control.focus(); } }, message)
      : message)))].filter(Boolean));
  for (const [control, message] of problems) {
    if (!control) continue;
    const box = el.querySelector(`.field-error[data-for="${CSS.escape(control.name)}"]`);
    if (box) box.replaceChildren(h("span", { class: "visually-hidden" }, "Error: "), message);
    control.setAttribute("aria-invalid", "true");
  }
  summary.hidden = false;
  summary.focus();
}

function fileField(name, label, hint) {
  const id = "f" + (++uid) + "-" + name;
  return h("div", { class: "field", "data-document": name },
    h("label", { for: id }, label),
    h("p", { class: "hint", id: id + "-hint" }, hint + " PDF, JPG or PNG, up to 10 MB."),
    h("input", { id, name, type: "file", accept: Object.keys(RECOVERY_TYPES).join(","),
      "aria-describedby": `${id}-hint ${id}-error` }),
    h("div", { class: "field-error", id: id + "-error", "data-for": name }),
    h("div", { class: "upload", hidden: true },
      h("progress", { max: "100", value: "0", id: id + "-progress", "aria-label": label + ": upload" }),
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
  if (!file) return `Choose a file for the ${label.toLowerCase()}`;
  if (!RECOVERY_TYPES[file.type]) return `The ${label.toLowerCase()} must be a PDF, JPG or PNG`;
  if (file.size === 0) return `The ${label.toLowerCase()} file is empty: choose another file`;
  if (file.size > RECOVERY_MAX_BYTES) return `The ${label.toLowerCase()} must be smaller than 10 MB`;
  return null;
}

function utcTime(iso) {
  return new Date(iso).toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "long", timeStyle: "short" }) + " UTC";
}

async function recoveryRequest() {
  setNav(await currentSession());
  const summary = errorSummary();
  const kind = field({ name: "kind", label: "I will give", options: [["identifier", "my Dedibox login"],
    ["domain", "one of my domain names"]] });
  const fields = [
    field({ name: "value", label: "Dedibox login or domain name", autocomplete: "username",
      hint: "What you remember of the account: its Dedibox login, or a domain name it holds." }),
    field({ name: "new_email", label: "New email address", type: "email", autocomplete: "email",
      hint: "The address to move the account to. We write to it once support has decided." }),
    field({ name: "postal_address", label: "Postal address", textarea: true, autocomplete: "street-address",
      hint: "The address on your bills." }),
    field({ name: "phone", label: "Phone", type: "tel", autocomplete: "tel",
      hint: "In international format, for example +33612345678." }),
  ];
  const button = h("button", { type: "submit" }, "Send the request");
  const el = h("form", { id: "recovery-form", novalidate: true }, summary, kind, ...fields,
    h("fieldset", { class: "documents" }, h("legend", {}, "Documents"),
      h("p", { class: "hint" }, "Support compares them with the account on file. They are deleted after the " +
        "decision."),
      RECOVERY_DOCUMENTS.map(([name, label, hint]) => fileField(name, label, hint))),
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
      status.textContent = "Uploading…";
      const ok = await uploadDocument(u, control(u.document).files[0], (percent) => {
        bar.value = percent;
        status.textContent = `Uploading… ${percent}%`;
      });
      if (ok) {
        bar.value = 100;
        box.dataset.uploaded = "yes";
        status.textContent = "Uploaded";
      } else {
        status.textContent = "Not uploaded";
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
        problems.push([control("value"), v("kind") === "domain" ? "Enter a domain name of the account"
          : "Enter the Dedibox login of the account"]);
      }
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v("new_email"))) {
        problems.push([control("new_email"), v("new_email") ? "Enter the new email address in the correct format, " +
          "like name@example.com" : "Enter the new email address"]);
      }
      if (!v("postal_address")) problems.push([control("postal_address"), "Enter your postal address"]);
      const phone = v("phone").replace(/[\s.-]/g, "");
      if (!/^\+[1-9][0-9]{6,14}$/.test(phone)) {
        problems.push([control("phone"), phone ? "Enter the phone in international format, like +33612345678"
          : "Enter your phone number"]);
      }
    }
    for (const [name, label] of RECOVERY_DOCUMENTS) {
      let problem = recoveryDocumentProblem(control(name).files[0], label);
      // Each upload form was signed for the type of the file first chosen: another type would be refused.
      const signed = sent && sent.uploads.find((u) => u.document === name).content_type;
      if (!problem && signed && control(name).files[0].type !== signed) {
        problem = `The ${label.toLowerCase()} must be a ${RECOVERY_TYPES[signed]}, like the file first chosen`;
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
          content_types: Object.fromEntries(RECOVERY_DOCUMENTS.map(([name]) => [name, control(name).files[0].type])) };
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
          return showSummary(el, problems.length ? problems : [[null, r.error.message]],
            problems.length ? r.error.message : null);
        }
        sent = r.data;
        // The request exists: its details can no longer change, only the documents can be sent again.
        for (const name of ["kind", "value", "new_email", "postal_address", "phone"]) control(name).disabled = true;
      }
      const failed = await upload();
      if (failed.length) {
        button.textContent = "Send the documents again";
        const labels = Object.fromEntries(RECOVERY_DOCUMENTS.map(([name, label]) => [name, label]));
        return showSummary(el, failed.map((name) => [control(name),
          `The ${labels[name].toLowerCase()} could not be uploaded: check your connection, then send it again`]));
      }
      recoverySent(sent, v("new_email"));
    } finally {
      button.disabled = false;
    }
  });
  page("Recover your account without its email",
    h("p", { class: "lead" }, "If you can no longer read the account's email, support can move the account to a " +
      "new address once it has checked who you are."),
    h("div", { class: "card" }, el),
    h("p", {}, h("a", { href: "/ui/reset" }, "Still have the email or phone? Reset your password instead")));
}

function recoverySent(sent, newEmail) {
  const hours = Math.round((sent.hold_seconds || 72 * 3600) / 3600);
  page("Request sent", notice("We have your request and its four documents."),
    card("What happens next",
      h("ol", { class: "steps" },
        h("li", {}, "Support checks your documents by hand against the account on file. If the account's email " +
          "still works, its owner is told a request was made."),
        h("li", {}, `If support approves, the change waits ${hours} hours. The account's current email address and ` +
          "phone are told at once, and either can cancel the request until then."),
        h("li", {}, `After those ${hours} hours, the account moves to ${newEmail}, every session is signed out, and ` +
          `we email ${newEmail} a link to choose a new password.`),
        h("li", {}, `If support cannot confirm the request, we email ${newEmail} to say so; the account does ` +
          "not change.")),
      h("p", { class: "muted" }, "Reference of your request: ", h("span", { id: "request-id" }, sent.request_id))),
    h("p", {}, h("a", { href: "/ui/" }, "Back to sign in")));
}

async function recoveryCancel() {
  setNav(await currentSession());
  const id = query("request");
  const token = query("token");
  if (!id || !token) {
    return page("This link is incomplete", notice("The link has lost part of its address. Open it again from " +
      "your email or SMS.", "error"));
  }
  const alert = h("div", { class: "alert error", role: "alert" });
  const button = h("button", { type: "button", id: "cancel-request", onclick: async () => {
    button.disabled = true;
    alert.replaceChildren();
    const r = await api("POST", `/recovery-requests/${encodeURIComponent(id)}/cancel`, { token });
    button.disabled = false;
    if (r.ok) {
      return page("Request cancelled", notice("The request ended. Nothing changed: your account keeps its email " +
        "address, password and sessions."),
      h("p", {}, "If you did not make that request, someone may know your login: choosing a new password " +
        "keeps them out."),
      h("p", {}, h("a", { class: "button", href: "/ui/" }, "Sign in")));
    }
    if (r.error.code === "invalid_token") {
      return page("This link no longer works", notice(r.error.message, "error"),
        h("p", {}, "A cancel link works once, until the change takes effect. If the request was already " +
          "cancelled, nothing changed. If your account moved to another address without you, ask for it back: ",
        h("a", { href: "/ui/recovery" }, "make a recovery request"), "."));
    }
    alert.replaceChildren(r.error.message);
  } }, "Cancel the request");
  page("Cancel a recovery request",
    h("p", { class: "lead" }, "Someone asked support to move your account to another email address, and support " +
      "approved it. Until the change takes effect, you can stop it."),
    h("div", { class: "card narrow" }, alert,
      h("p", {}, "If you did not ask for this, cancel it: the request ends and your account stays as it is."),
      h("div", { class: "actions" }, button)));
}

// ---- support's queue --------------------------------------------------------------------------
function bytes(size) {
  return size < 1024 ? `${size} bytes` : size < 1024 * 1024 ? `${Math.round(size / 1024)} KB`
    : `${(size / 1024 / 1024).toFixed(1)} MB`;
}

function supportRequest(r) {
  const a = r.account;
  const id = "request-" + r.id;
  const dash = h("span", { class: "muted" }, "—");
  const cell = (value) => (value === null || value === undefined || value === "" ? dash.cloneNode(true) : value);
  const row = (label, asked, onFile) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, cell(asked)),
    h("td", {}, cell(onFile)));
  const labels = Object.fromEntries(RECOVERY_DOCUMENTS.map(([name, label]) => [name, label]));
  const status = h("div", { "aria-live": "polite", "data-role": "decision-status" });
  const note = field({ name: "note", label: "Note", textarea: true, required: false,
    hint: "Why you decide so. A refusal's note is emailed to the new address." });
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
          h("p", {}, "This request cannot be approved: a document is missing."),
          h("ul", {}, missing.map((m) => h("li", {}, labels[m] || m))),
          h("p", {}, "Reject it with a note saying what to send, or wait for the documents.")));
      }
      return status.replaceChildren(notice(d.error.message, "error"));
    }
    decision.replaceWith(d.data.status === "approved"
      ? notice(`Approved. The account moves to ${r.new_email} on ${utcTime(d.data.effective_at)}, unless its ` +
        "owner cancels before: the current address and phone were told.")
      : notice(`Rejected. We emailed ${r.new_email} that the account does not change.`));
  };
  const approve = h("button", { type: "button", "data-action": "approve" }, "Approve");
  const reject = h("button", { type: "button", class: "danger", "data-action": "reject" }, "Reject");
  approve.addEventListener("click", () => decide(true, approve));
  reject.addEventListener("click", () => decide(false, reject));
  // With no account, or the new address already another account's, a request can only be rejected.
  const decision = h("form", { class: "decision", novalidate: true, onsubmit: (e) => e.preventDefault() }, note,
    h("div", { class: "actions" }, a && !r.new_email_taken ? approve : null, reject));
  const bill = a && a.last_bill ? `${a.last_bill.amount} on ${a.last_bill.date}` : null;
  return h("section", { class: "card request", id, "aria-labelledby": id + "-title", "data-request": r.id },
    h("h2", { id: id + "-title" }, `${r.lookup.kind === "domain" ? "Domain" : "Login"} ${r.lookup.value}`),
    h("p", { class: "muted" }, `Request ${r.id}, made ${utcTime(r.created_at)}`),
    a ? null : notice(`No account matches ${r.lookup.value}: this request can only be rejected.`, "error"),
    r.new_email_taken ? notice(`${r.new_email} belongs to another account: reject this request.`, "error") : null,
    h("table", { class: "compare" },
      h("thead", {}, h("tr", {}, h("td", {}), h("th", { scope: "col" }, "The request says"),
        h("th", { scope: "col" }, "The account on file"))),
      h("tbody", {},
        row("Email", r.new_email + " (new)", a && a.email),
        row("Name", null, a && a.name),
        row("Postal address", r.postal_address, a && a.postal_address),
        row("Phone", r.phone, a && a.phone),
        row("Organization", null, a && a.organization),
        row("Last bill", null, bill),
        row("Account age", null, a && `${a.age_days} days (since ${utcTime(a.created_at)})`),
        row("Second factors", null, a && (a.second_factors.length ? a.second_factors.join(", ") : "none")))),
    h("h3", {}, "Documents"),
    h("ul", { class: "list documents" }, r.documents.map((d) => h("li", { class: "row" },
      h("div", {}, h("div", {}, labels[d.document] || d.document), h("div", { class: "meta" },
        d.uploaded ? `${RECOVERY_TYPES[d.content_type] || d.content_type}, ${bytes(d.size)}` : "Not uploaded")),
      d.uploaded ? h("a", { class: "button secondary", href: d.url, "data-document": d.document },
        `Open the ${labels[d.document].toLowerCase()}`) : h("span", { class: "badge missing" }, "missing")))),
    r.downloads.length ? h("p", { class: "meta muted" }, "Opened: " + r.downloads.map((x) =>
      `${labels[x.document] || x.document} by ${x.by}`).join("; ") + ".") : null,
    h("h3", {}, "Decision"), status, decision);
}

async function supportQueue() {
  const session = await currentSession();
  if (!session) return go("/ui/?next=/ui/support");
  if (session.status === "mfa_required") return go("/ui/mfa");
  setNav(session);
  const r = await api("GET", "/support/recovery-requests");
  if (!r.ok) {
    if (r.status === 403) {
      return page("This page is for support agents", h("p", {}, "Your account is not a support agent's, so it " +
        "cannot see recovery requests."),
      h("p", {}, h("a", { class: "button", href: "/ui/consoles" }, "Go to your consoles")));
    }
    return page("Recovery requests", notice(r.error.message, "error"));
  }
  const requests = r.data.requests;
  page("Recovery requests",
    h("p", { class: "lead" }, "People who lost their account's email. Check each request against the account on " +
      "file and its documents, then decide."),
    requests.length ? requests.map(supportRequest) : h("p", { class: "muted", id: "queue-empty" },
      "No request is waiting."));
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
Object.assign(ROUTES, { recovery: recoveryRequest, "recovery/cancel": recoveryCancel, support: supportQueue });

const name = location.pathname.replace(/^\/ui\/?/, "").replace(/\/$/, "");
(ROUTES[name] || notFound)().catch(() => {
  page("Something went wrong", notice("The page could not be shown. Reload it to try again.", "error"));
});
