// A standard OpenID Connect provider for onair's tests: node's
// oidc-provider (https://github.com/panva/node-oidc-provider), configured
// the way its documentation says for native apps (RFC 8252): loopback
// redirect URIs on any port, PKCE required for public clients, rotating
// refresh tokens, short-lived access tokens. Nothing here is onair's.
//
// Two issuers in one process, over TLS on 127.0.0.1 (port 0 unless given):
//   https://127.0.0.1:PORT               (the root)
//   https://127.0.0.1:PORT/realms/test   (an issuer with a path, as a
//                                         Keycloak realm; PAR required)
// Its clients:
//   onair-desktop  public, native: opaque access tokens (introspection)
//   onair-jwt      public, native: JWT access tokens (RFC 9068) for the API
//   onair-service  confidential: the reference service's introspection
//
// Usage: node server.mjs CERT.pem KEY.pem [PORT]
// The login page is this file's own (the provider's documentation asks
// for one in place of its development-only interactions): a name and a
// password, the password being the name again, as in onair's demo data;
// "Deny" refuses. Consent is given at once, as for a first-party app.
// Environment: OIDC_ACCESS_TTL (seconds, default 30), OIDC_API_AUDIENCE
// (default https://onair.test/api), OIDC_SERVICE_SECRET (default
// "service-secret"). Prints {"port": N} on one line when ready.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

import Provider from 'oidc-provider';

const [cert, key, portArg] = process.argv.slice(2);
if (!cert || !key) {
  console.error('usage: node server.mjs CERT.pem KEY.pem [PORT]');
  process.exit(2);
}
const accessTtl = Number(process.env.OIDC_ACCESS_TTL || 30);
const audience = process.env.OIDC_API_AUDIENCE || 'https://onair.test/api';
const serviceSecret = process.env.OIDC_SERVICE_SECRET || 'service-secret';

// Signing keys of this run, with ids of this run (a restart is a key
// rotation): one RSA (RS256, the default) and one P-256.
const run = randomBytes(4).toString('hex');
const jwk = (type, options, extra) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  ...extra,
});
const jwks = {
  keys: [
    jwk('rsa', { modulusLength: 2048 }, { kid: `rs-${run}`, use: 'sig', alg: 'RS256' }),
    jwk('ec', { namedCurve: 'P-256' }, { kid: `es-${run}`, use: 'sig', alg: 'ES256' }),
  ],
};

const names = { streamer: 'Streamer Kim', viewer: 'Viewer Lee' };

function provider(issuer, prefix, requirePar) {
  const native = (id) => ({
    client_id: id,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  return new Provider(issuer, {
    clients: [
      native('onair-desktop'),
      native('onair-jwt'),
      {
        client_id: 'onair-service',
        client_secret: serviceSecret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks,
    cookies: { keys: ['onair-tests-only'] },
    scopes: ['openid', 'offline_access', 'profile'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, preferred_username: sub, name: names[sub] ?? sub };
        },
      };
    },
    ttl: {
      AccessToken: accessTtl,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Session: 3600,
      Interaction: 600,
      Grant: 14 * 24 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: requirePar },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client) => (client?.clientId === 'onair-jwt' ? audience : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid profile offline_access',
          audience,
          accessTokenTTL: accessTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// GET: the login form (or, at the consent prompt, consent at once).
// POST: the form's answer.
async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, uid } = details;
  if (req.method === 'GET' && prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log in</title></head><body>
<h1>Log in to ${escape(params.client_id)}</h1>
<form method="post" action="${escape(req.originalUrl ?? req.url)}">
<input type="hidden" name="uid" value="${escape(uid)}">
<label>Name <input name="username" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button name="action" value="login">Log in</button> <button name="action" value="deny">Deny</button>
</form></body></html>`);
    return;
  }
  const body = await new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
      if (text.length > 16384) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(text)));
    req.on('error', reject);
  });
  if (body.get('action') === 'deny') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user refused' });
    return;
  }
  const name = body.get('username') ?? '';
  if (!/^[a-z0-9-]{1,40}$/.test(name) || body.get('password') !== name) {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end('wrong name or password');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: name } }, { mergeWithLastSubmission: false });
}

const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) });
server.listen(Number(portArg || 0), '127.0.0.1', () => {
  const base = `https://127.0.0.1:${server.address().port}`;
  const root = provider(base, '', false);
  const realmPrefix = '/realms/test';
  const realm = provider(base + realmPrefix, realmPrefix, true);
  const rootHandler = root.callback();
  const realmHandler = realm.callback();
  server.on('request', (req, res) => {
    const inRealm = req.url === realmPrefix || req.url.startsWith(`${realmPrefix}/`);
    const [which, handler] = inRealm ? [realm, realmHandler] : [root, rootHandler];
    req.originalUrl = req.url;
    if (inRealm) req.url = req.url.slice(realmPrefix.length) || '/';
    if (req.url.startsWith('/interaction/')) {
      interaction(which, req, res).catch((e) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${e.message}`);
      });
    } else {
      handler(req, res);
    }
  });
  console.log(JSON.stringify({ port: server.address().port }));
});
