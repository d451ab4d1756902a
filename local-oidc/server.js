// The local identity providers of Gatehouse: panva's oidc-provider (certified, strict about
// replayed codes, PKCE verifiers and redirect URIs) as a Google-like issuer and a Microsoft-like
// multi-tenant issuer with two tenants, in one Node process on loopback, under path prefixes:
//
//   /google/...                         issuer {base}/google (routes /auth, /token, /jwks)
//   /microsoft/{tid}/oauth2/v2.0/...    one provider per tenant, issuer {base}/microsoft/{tid}/v2.0
//   /microsoft/common/oauth2/v2.0/...   what a multi-tenant app calls, as on Entra ID: the sign-in
//                                       picks the tenant; the token request goes to the tenant that
//                                       issued the code; the key set's keys carry the issuer template
//
// Users and claims come from a JSON file (--users). A sign-in picks the user named by login_hint
// (a user's `hint`), or shows a page to pick one by hand.
//
//   node server.js --port 5556 --users ../layers/shared/python/gatehouse/local/sso_users.json \
//        --redirect-base http://localhost:8000 [--redirect-base ...]

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '5556' },
    host: { type: 'string', default: '127.0.0.1' },
    users: { type: 'string' },
    'redirect-base': { type: 'string', multiple: true, default: ['http://localhost:8000'] },
  },
});
const data = JSON.parse(readFileSync(args.users, 'utf8'));
const base = `http://${args.host}:${args.port}`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signingKey(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}
const publicPart = ({ kty, n, e, kid, use, alg }) => ({ kty, n, e, kid, use, alg });

// One store per provider (the package's memory adapter is one store for the whole process), so
// the common token endpoint can tell which tenant issued a code.
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

function storeAdapter(store) {
  const live = (entry) => entry && (entry.expiresAt === undefined || entry.expiresAt > Date.now());
  return class MapAdapter {
    constructor(model) { this.model = model; }

    key(id) { return `${this.model}:${id}`; }

    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
      store.set(this.key(id), { payload, expiresAt });
      if (GRANTABLE.has(this.model) && payload.grantId) {
        const members = store.get(`grant:${payload.grantId}`) ?? new Set();
        members.add(this.key(id));
        store.set(`grant:${payload.grantId}`, members);
      }
      // Only sessions are found by uid (an interaction's payload has a uid too).
      if (this.model === 'Session') store.set(`uid:${payload.uid}`, id);
    }

    async find(id) {
      const entry = store.get(this.key(id));
      return live(entry) ? entry.payload : undefined;
    }

    async findByUid(uid) {
      const id = store.get(`uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode() { return undefined; }

    async consume(id) {
      const entry = store.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) { store.delete(this.key(id)); }

    async revokeByGrantId(grantId) {
      for (const key of store.get(`grant:${grantId}`) ?? []) store.delete(key);
      store.delete(`grant:${grantId}`);
    }
  };
}

// No consent screen: like Google and Entra for a first-party app, the grant is implied.
async function loadExistingGrant(ctx) {
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
  if (grantId) return ctx.oidc.provider.Grant.find(grantId);
  const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
  grant.addOIDCScope('openid email profile');
  await grant.save();
  return grant;
}

function makeProvider({ name, issuer, prefix, users, client, jwk, routes }) {
  // The account id is the subject (oidc-provider makes it the `sub`); login_hint names a user's hint.
  const byId = new Map(users.map((u) => [u.claims.sub ?? u.claims.oid, u]));
  const byHint = new Map(users.map((u) => [u.hint, u.claims.sub ?? u.claims.oid]));
  const policy = interactionPolicy.base();
  // A login_hint naming someone else than the signed-in user asks for a sign-in again.
  policy.get('login').checks.add(new interactionPolicy.Check(
    'login_hint_other_user', 'login_hint names another user',
    (ctx) => {
      const wanted = byHint.get(ctx.oidc.params.login_hint);
      return wanted && ctx.oidc.session.accountId && ctx.oidc.session.accountId !== wanted
        ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    },
  ));
  const store = new Map();
  const provider = new Provider(issuer, {
    adapter: storeAdapter(store),
    clients: [{
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: args['redirect-base'].map((b) => `${b.replace(/\/$/, '')}/sso/${name}/callback`),
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [jwk] },
    findAccount: async (ctx, id) => {
      const user = byId.get(id);
      return user && { accountId: id, claims: async () => ({ ...user.claims, sub: id }) };
    },
    claims: { openid: ['sub', 'tid', 'oid'], email: ['email', 'email_verified', 'xms_edov'], profile: ['name'] },
    // As Google's and Entra's, the ID token itself holds the email claims.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}`, policy },
    loadExistingGrant,
    cookies: {
      names: { session: `${name}_session`, interaction: `${name}_interaction`, resume: `${name}_resume` },
      keys: [randomBytes(32).toString('hex')],
    },
    ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
    routes,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>${escape(out.error)}</title><h1>${escape(out.error)}</h1>`
        + `<p>${escape(out.error_description ?? '')}</p>`;
    },
  });
  return { name, issuer, prefix, provider, store, byId, byHint };
}

const keys = { google: signingKey('google-1'), microsoft: signingKey('microsoft-1') };
const google = makeProvider({
  name: 'google', issuer: `${base}/google`, prefix: '/google', users: data.google,
  client: data.clients.google, jwk: keys.google, routes: {},
});
const msRoutes = { authorization: '/oauth2/v2.0/authorize', token: '/oauth2/v2.0/token', jwks: '/discovery/v2.0/keys' };
const tenants = new Map(Object.keys(data.microsoft.tenants).map((tid) => [tid, makeProvider({
  name: 'microsoft', issuer: `${base}/microsoft/${tid}/v2.0`, prefix: `/microsoft/${tid}`,
  users: data.microsoft.users.filter((u) => u.claims.tid === tid), client: data.clients.microsoft,
  jwk: keys.microsoft, routes: msRoutes,
})]));
const msUsers = new Map(data.microsoft.users.map((u) => [u.hint, u]));

function page(title, body) {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escape(title)}</title>`
    + '<style>body{font:16px system-ui;max-width:40rem;margin:3rem auto}button{font:inherit;padding:.5rem 1rem;'
    + 'margin:.25rem 0;width:100%;text-align:left}small{color:#555}</style>'
    + `<h1>${escape(title)}</h1>${body}</html>`;
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// The sign-in step of one provider: the login_hint's user, or a page to pick one.
async function interaction(p, req, res) {
  const details = await p.provider.interactionDetails(req, res);
  const { prompt, params, uid } = details;
  let chosen;
  if (req.method === 'POST') chosen = new URLSearchParams(await readBody(req)).get('user');
  else chosen = p.byHint.get(params.login_hint);
  if (prompt.name === 'consent') {
    const grant = new p.provider.Grant({ clientId: params.client_id, accountId: details.session.accountId });
    grant.addOIDCScope(params.scope);
    return p.provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
  }
  if (chosen && p.byId.has(chosen)) {
    return p.provider.interactionFinished(req, res, { login: { accountId: chosen } });
  }
  const buttons = [...p.byId.values()].map((u) => `<form method="post" action="${p.prefix}/interaction/${escape(uid)}">`
    + `<button name="user" value="${escape(u.claims.sub ?? u.claims.oid)}">${escape(u.claims.name)} &lt;${escape(u.claims.email ?? '')}&gt;`
    + `<br><small>${escape(u.about)}</small></button></form>`).join('');
  return send(res, 200, 'text/html; charset=utf-8', page(`Sign in to ${p.issuer}`, buttons));
}

function forward(p, req, res, stripped) {
  req.originalUrl = req.url;
  req.url = stripped || '/';
  return p.provider.callback()(req, res);
}

async function microsoftCommon(req, res, rest) {
  const url = new URL(req.url, base);
  if (rest.startsWith('/oauth2/v2.0/authorize')) {
    const hint = url.searchParams.get('login_hint');
    const user = hint && msUsers.get(hint);
    if (user) {
      return send(res, 302, 'text/plain', '', { Location: `/microsoft/${user.claims.tid}${msRoutes.authorization}${url.search}` });
    }
    const links = [...msUsers.values()].map((u) => {
      const q = new URLSearchParams(url.search);
      q.set('login_hint', u.hint);
      return `<form method="get" action="/microsoft/${escape(u.claims.tid)}${msRoutes.authorization}">`
        + [...q].map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('')
        + `<button>${escape(u.claims.name)} &lt;${escape(u.claims.email ?? '')}&gt;<br>`
        + `<small>${escape(data.microsoft.tenants[u.claims.tid].name)}: ${escape(u.about)}</small></button></form>`;
    }).join('');
    return send(res, 200, 'text/html; charset=utf-8', page('Pick an account (Microsoft, any tenant)', links));
  }
  if (rest.startsWith('/oauth2/v2.0/token') && req.method === 'POST') {
    const body = await readBody(req);
    const code = new URLSearchParams(body).get('code') ?? '';
    const tenant = [...tenants.values()].find((t) => t.store.has(`AuthorizationCode:${code}`));
    if (!tenant) {
      return send(res, 400, 'application/json', JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }));
    }
    // oidc-provider reads an already-read body from req.body.
    req.body = body;
    return forward(tenant, req, res, msRoutes.token);
  }
  if (rest.startsWith('/discovery/v2.0/keys')) {
    // As Entra's common key set: each key names the issuer template it signs for.
    const jwk = { ...publicPart(keys.microsoft), issuer: `${base}/microsoft/{tenantid}/v2.0` };
    return send(res, 200, 'application/json', JSON.stringify({ keys: [jwk] }));
  }
  return send(res, 404, 'application/json', JSON.stringify({ error: 'not_found' }));
}

async function route(req, res) {
  const path = new URL(req.url, base).pathname;
  if (path === '/health') return send(res, 200, 'application/json', '{"ok":true}');
  const match = (p) => {
    if (!path.startsWith(`${p.prefix}/`) && path !== p.prefix) return false;
    if (path.startsWith(`${p.prefix}/interaction/`)) return interaction(p, req, res);
    const stripped = req.url.slice(p.prefix.length);
    // The discovery document lives under the issuer, which for a tenant ends in /v2.0; the
    // endpoints it lists are under the tenant's prefix (oidc-provider derives them from originalUrl).
    if (stripped.startsWith('/v2.0/.well-known/')) {
      req.url = stripped.slice(5);
      req.originalUrl = `${p.prefix}${req.url}`;
      return p.provider.callback()(req, res);
    }
    return forward(p, req, res, stripped);
  };
  if (path.startsWith('/microsoft/common/')) return microsoftCommon(req, res, path.slice('/microsoft/common'.length));
  for (const p of [google, ...tenants.values()]) {
    const handled = match(p);
    if (handled !== false) return handled;
  }
  return send(res, 404, 'application/json', JSON.stringify({ error: 'not_found' }));
}

const server = http.createServer((req, res) => {
  route(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, 'text/plain', 'local oidc error');
  });
});
server.listen(Number(args.port), args.host, () => console.log(`local oidc listening on ${base}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
