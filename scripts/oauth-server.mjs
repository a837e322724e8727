// OAuth 2.0 / OpenID Connect authorization server for the integration tests, built on `oidc-provider`
// (a maintained, OpenID-certified implementation). Started by scripts/test-servers.sh:
//
//   node scripts/oauth-server.mjs <config.json>
//
// config.json: { "host", "port", "users": { "<mailbox address>": "<password>" }, "clients": [ client metadata ],
//                "accessTokenTtl": seconds, "shortTtlClients": [ "<client_id whose tokens live 2 s>" ],
//                "appMailboxes": { "<client_id of an app-only client>": "<mailbox address it may open>" } }
//
// What it offers: authorization code flow (with PKCE when the client sends it) through a plain HTML login +
// consent page at /interaction/<uid> (the mailbox address and password of the test users; each scope can be
// unticked, which is how a test gets a token without the mail scope), refresh tokens for every client that
// may use the refresh_token grant, opaque access tokens living `accessTokenTtl` seconds, token introspection
// (RFC 7662, for Dovecot's oauth2 passdb) and revocation (RFC 7009, for the tests). Nothing is persisted:
// a restart forgets every token.
//
// App-only sign-in (client credentials grant, RFC 6749 4.4), as Exchange Online offers it for IMAP and SMTP:
// Exchange lets an app's token open a mailbox when the app's service principal was given that mailbox
// (New-ServicePrincipal, Add-MailboxPermission). This server stands in for that permission with `appMailboxes`:
// a client-credentials token of such a client names its mailbox as the token's subject, which is what Dovecot's
// oauth2 passdb compares with the login name. A client without an entry gets tokens that open no mailbox.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://${config.host}:${config.port}`;
const users = new Map(Object.entries(config.users).map(([address, password]) => [address.toLowerCase(), password]));
const ttl = Number(config.accessTokenTtl) || 60;
const shortTtlClients = new Set(config.shortTtlClients ?? []);
const appMailboxes = config.appMailboxes ?? {};

const provider = new Provider(issuer, {
	clients: config.clients,
	// `calendar` stands for the scope of another API (a common mistake: Microsoft Graph's instead of Exchange's)
	scopes: ['openid', 'offline_access', 'mail', 'calendar'],
	claims: { openid: ['sub'], email: ['email'] },
	cookies: { keys: [randomBytes(32).toString('base64url')] },
	features: {
		devInteractions: { enabled: false },
		introspection: { enabled: true },
		revocation: { enabled: true },
		clientCredentials: { enabled: true },
	},
	pkce: { required: () => false },
	// every client allowed the refresh_token grant gets a refresh token (n8n does not always send prompt=consent)
	issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
	ttl: {
		AccessToken: (_ctx, token) => (shortTtlClients.has(token.clientId) ? 2 : ttl),
		ClientCredentials: (_ctx, token) => (shortTtlClients.has(token.clientId) ? 2 : ttl),
		RefreshToken: 24 * 3600,
		Grant: 24 * 3600,
		Session: 24 * 3600,
		Interaction: 3600,
		AuthorizationCode: 120,
	},
	rotateRefreshToken: false,
	extraTokenClaims: async (_ctx, token) =>
		token.kind === 'ClientCredentials' && appMailboxes[token.clientId] ? { sub: appMailboxes[token.clientId] } : undefined,
	findAccount: async (_ctx, id) =>
		users.has(id) ? { accountId: id, claims: async () => ({ sub: id, email: id }) } : undefined,
	interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
	renderError: async (ctx, out) => {
		ctx.type = 'text/plain';
		ctx.body = `error: ${out.error}\n${out.error_description ?? ''}\n`;
	},
});
provider.proxy = false;

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(uid, client, scopes, problem = '') {
	const boxes = scopes
		.map((s) => `<label><input type="checkbox" name="scope" value="${escape(s)}" checked> ${escape(s)}</label><br>`)
		.join('\n');
	return `<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to ${escape(client)}</h1>${problem ? `<p id="problem">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label>Mailbox <input name="login" id="login" autocomplete="username"></label><br>
<label>Password <input name="password" id="password" type="password"></label><br>
<p>The application asks for:</p>
${boxes}
<button type="submit" id="allow">Allow</button>
</form></body></html>`;
}

async function readForm(req) {
	let body = '';
	for await (const chunk of req) {
		body += chunk;
		if (body.length > 64 * 1024) throw new Error('form too large');
	}
	return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
	const details = await provider.interactionDetails(req, res);
	const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
	if (req.method === 'GET') {
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
		res.end(page(uid, details.params.client_id, requested));
		return;
	}
	const form = await readForm(req);
	const login = String(form.get('login') ?? '').trim().toLowerCase();
	if (!users.has(login) || users.get(login) !== form.get('password')) {
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
		res.end(page(uid, details.params.client_id, requested, 'Wrong mailbox or password.'));
		return;
	}
	const granted = form.getAll('scope').filter((s) => requested.includes(s));
	const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
	if (granted.length) grant.addOIDCScope(granted.join(' '));
	// unticked scopes are refused for good (otherwise the server would ask again)
	const refused = requested.filter((s) => !granted.includes(s));
	if (refused.length) grant.rejectOIDCScope(refused.join(' '));
	const grantId = await grant.save();
	await provider.interactionFinished(req, res, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = (await import('node:http')).createServer((req, res) => {
	const match = /^\/interaction\/([\w-]+)$/.exec(new URL(req.url, issuer).pathname);
	if (!match) return callback(req, res);
	interaction(req, res, match[1]).catch((error) => {
		res.writeHead(400, { 'content-type': 'text/plain' });
		res.end(`interaction failed: ${error.message}\n`);
	});
});
server.listen(config.port, config.host, () => console.log(`oauth-server: ${issuer} ready`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
