/**
 * The test authorization server (scripts/oauth-server.mjs, oidc-provider) driven the way a browser does n8n's
 * "Connect my account": authorization request, the server's sign-in and consent page, the code sent to the
 * redirect URI, the code exchanged for tokens at the token endpoint. Plus introspection and revocation.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { loadServers, type TestServers } from './servers';

type MailUserName = keyof Omit<TestServers['users'], 'ftp'>;

export interface OAuthServer {
	port: number;
	issuer: string;
	scope: string;
	client: { id: string; secret: string };
	shortLivedClient: { id: string; secret: string };
	/** app-only (client credentials) clients; their tokens open `mailbox`'s mailbox (Exchange: Add-MailboxPermission) */
	appClient: { id: string; secret: string; mailbox: MailUserName };
	shortLivedAppClient: { id: string; secret: string };
	introspectionClient: { id: string; secret: string };
	redirectUri: string;
}

export function oauthServer(): OAuthServer {
	const oauth = (loadServers() as TestServers & { oauth?: OAuthServer }).oauth;
	if (!oauth) throw new Error('The test servers run without the OAuth server: restart them (scripts/test-servers.sh start)');
	return oauth;
}

const basic = (c: { id: string; secret: string }) => `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

class CookieJar {
	private readonly cookies = new Map<string, string>();
	take(response: Response): void {
		for (const line of response.headers.getSetCookie()) {
			const [pair] = line.split(';');
			const at = pair.indexOf('=');
			this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
		}
	}
	header(): string {
		return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
	}
}

/**
 * Signs `who` in and returns the token response (what n8n stores as the credential's `oauthTokenData`).
 * `grant` lists the scopes ticked on the consent page (default: all requested ones).
 */
export async function connectAccount(
	who: MailUserName,
	options: { scope?: string; grant?: string[]; shortLived?: boolean } = {},
): Promise<IDataObject> {
	const server = oauthServer();
	const client = options.shortLived ? server.shortLivedClient : server.client;
	const scope = options.scope ?? `openid offline_access ${server.scope}`;
	const jar = new CookieJar();
	const step = async (url: string, init: RequestInit = {}) => {
		const response = await fetch(new URL(url, server.issuer), { ...init, redirect: 'manual', headers: { ...init.headers, cookie: jar.header() } });
		jar.take(response);
		return response;
	};
	const query = new URLSearchParams({ client_id: client.id, response_type: 'code', redirect_uri: server.redirectUri, scope, state: 'test' });
	let response = await step(`/auth?${query}`);
	const interaction = response.headers.get('location');
	if (!interaction) throw new Error(`authorization request refused: ${response.status} ${await response.text()}`);
	const user = loadServers().users[who];
	const body = new URLSearchParams({ login: user.user, password: user.password });
	for (const s of options.grant ?? scope.split(' ')) body.append('scope', s);
	response = await step(interaction, { method: 'POST', body, headers: form });
	let location = response.headers.get('location') ?? '';
	while (location && !location.startsWith(server.redirectUri)) {
		response = await step(location);
		location = response.headers.get('location') ?? '';
	}
	const code = new URL(location || 'http://invalid/').searchParams.get('code');
	if (!code) throw new Error(`no authorization code: ${response.status} ${await response.text()}`);
	const token = await fetch(new URL('/token', server.issuer), {
		method: 'POST',
		headers: { ...form, authorization: basic(client) },
		body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: server.redirectUri }),
	});
	if (!token.ok) throw new Error(`token request refused: ${token.status} ${await token.text()}`);
	return (await token.json()) as IDataObject;
}

/** RFC 7662: what the server says about a token (as Dovecot asks). */
export async function introspect(token: string): Promise<IDataObject> {
	const server = oauthServer();
	const response = await fetch(new URL('/token/introspection', server.issuer), {
		method: 'POST',
		headers: { ...form, authorization: basic(server.introspectionClient) },
		body: new URLSearchParams({ token }),
	});
	return (await response.json()) as IDataObject;
}

/** RFC 7009: the account withdraws a token (a refresh token: the whole grant, as a user who revokes the app). */
export async function revoke(token: string, hint: 'access_token' | 'refresh_token', shortLived = false): Promise<void> {
	const server = oauthServer();
	const client = shortLived ? server.shortLivedClient : server.client;
	const response = await fetch(new URL('/token/revocation', server.issuer), {
		method: 'POST',
		headers: { ...form, authorization: basic(client) },
		body: new URLSearchParams({ token, token_type_hint: hint }),
	});
	if (!response.ok) throw new Error(`revocation refused: ${response.status} ${await response.text()}`);
}

/** The Mail OAuth2 credential as n8n hands it to a node (expressions resolved) for the test servers. */
export function mailOAuth2Credential(who: MailUserName, tokenData: IDataObject, options: { shortLived?: boolean; scope?: string } = {}): ICredentialDataDecryptedObject {
	const s = loadServers();
	const server = oauthServer();
	const client = options.shortLived ? server.shortLivedClient : server.client;
	return {
		provider: 'other',
		user: s.users[who].user,
		senderAddress: s.users[who].address,
		senderName: who,
		customAuthUrl: `${server.issuer}/auth`,
		customAccessTokenUrl: `${server.issuer}/token`,
		customScope: options.scope ?? `openid offline_access ${server.scope}`,
		imapHost: s.host,
		imapPort: s.imap.tlsPort,
		imapSecurity: 'tls',
		smtpHost: s.host,
		smtpPort: s.smtp.submissionPort,
		smtpSecurity: 'starttls',
		allowSelfSigned: true,
		grantType: 'authorizationCode',
		authUrl: `${server.issuer}/auth`,
		accessTokenUrl: `${server.issuer}/token`,
		clientId: client.id,
		clientSecret: client.secret,
		scope: options.scope ?? `openid offline_access ${server.scope}`,
		authQueryParameters: '',
		authentication: 'header',
		oauthTokenData: tokenData,
	};
}

/**
 * The Mail OAuth2 credential with Grant Type "Client Credentials" (app-only) as n8n hands it to a node: no token
 * stored (n8n fetches none for a mail login), the app client's ID and secret, the scope to ask for.
 */
export function appOnlyCredential(who: MailUserName, options: { shortLived?: boolean; scope?: string; clientSecret?: string } = {}): ICredentialDataDecryptedObject {
	const server = oauthServer();
	const client = options.shortLived ? server.shortLivedAppClient : server.appClient;
	const { oauthTokenData: _none, ...signedIn } = mailOAuth2Credential(who, {}, { scope: options.scope ?? server.scope });
	return { ...signedIn, grantType: 'clientCredentials', clientId: client.id, clientSecret: options.clientSecret ?? client.secret };
}
