/**
 * An OAuth2 access token for a mail login (SASL XOAUTH2 / OAUTHBEARER), with the way to get a new one. The
 * transports use `accessToken` first; when the server refuses it they call `refresh()` once and log in again
 * with the new token, never more often. Where the token comes from (n8n's token store and refresh) is the
 * nodes' business (nodes/shared/mailAuth.ts): no n8n types here.
 */
export interface MailOAuth2 {
	accessToken: string;
	/** a new access token; throws (with words for the user) when there is none to be had, e.g. a revoked grant */
	refresh(): Promise<string>;
	/**
	 * Called when the server refused a token: an error that explains why better than "token rejected" (a
	 * scope the token lacks), or undefined.
	 */
	explainRejection?(): Error | undefined;
}

/** Raised when the server refused the token, also after one refresh. */
export class TokenRejectedError extends Error {
	constructor(
		message: string,
		readonly code = 'EOAUTH2',
	) {
		super(message);
		this.name = 'TokenRejectedError';
	}
}

/**
 * App-only sign-in (OAuth 2.0 client credentials grant, RFC 6749 section 4.4): the app itself asks the token
 * endpoint for a token with its client ID and secret, no person signs in. Exchange Online accepts such tokens
 * for IMAP and SMTP when the app's service principal was given the mailbox.
 */
export interface ClientCredentialsGrant {
	tokenUrl: string;
	clientId: string;
	clientSecret: string;
	scope: string;
	/** how the client authenticates at the token endpoint: HTTP basic auth header or form body (RFC 6749 2.3.1) */
	authentication: 'header' | 'body';
}

/** An HTTP POST of a form, as the caller's HTTP client makes it (n8n's `helpers.httpRequest` in the nodes). */
export type PostForm = (url: string, form: Record<string, string>, headers: Record<string, string>) => Promise<{ status: number; body: unknown }>;

export interface AppToken {
	accessToken: string;
	/**
	 * ms since the epoch from which on the token counts as expired: `expires_in` (a minute if the server gives
	 * none) less a minute, at most half its life, for clocks that differ and seconds the server rounds off
	 */
	expiresAt: number;
	/** the scope the server says the token carries, if it says */
	scope?: string;
}

const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

/** RFC 6749 4.4: one token request. Errors say what the token endpoint refused, in words, never the secret. */
export async function requestAppToken(grant: ClientCredentialsGrant, post: PostForm, now = Date.now()): Promise<AppToken> {
	const form: Record<string, string> = { grant_type: 'client_credentials', scope: grant.scope };
	const headers: Record<string, string> = {};
	if (grant.authentication === 'body') Object.assign(form, { client_id: grant.clientId, client_secret: grant.clientSecret });
	else headers.authorization = `Basic ${Buffer.from(`${formEncode(grant.clientId)}:${formEncode(grant.clientSecret)}`).toString('base64')}`;
	const hide = (text: string) => (grant.clientSecret ? text.split(grant.clientSecret).join('***') : text);
	const response = await post(grant.tokenUrl, form, headers).catch(
		(error: unknown) => new TokenRejectedError(hide(`Could not reach the token endpoint ${grant.tokenUrl}: ${(error as Error)?.message ?? String(error)}`)),
	);
	if (response instanceof TokenRejectedError) throw response;
	const body = (response.body ?? {}) as { access_token?: unknown; expires_in?: unknown; scope?: unknown; error?: unknown; error_description?: unknown };
	if (response.status === 200 && typeof body.access_token === 'string' && body.access_token) {
		const given = Number(body.expires_in);
		const life = (Number.isFinite(given) && given > 0 ? given : 60) * 1000;
		return {
			accessToken: body.access_token,
			expiresAt: now + life - Math.min(60_000, life / 2),
			scope: typeof body.scope === 'string' ? body.scope : undefined,
		};
	}
	throw new TokenRejectedError(hide(tokenEndpointRefusal(grant, response.status, body)));
}

function tokenEndpointRefusal(grant: ClientCredentialsGrant, status: number, body: { error?: unknown; error_description?: unknown }): string {
	const code = typeof body.error === 'string' ? body.error : '';
	// Microsoft's descriptions end with trace and correlation IDs on lines of their own
	const said = typeof body.error_description === 'string' ? body.error_description.split(/\r?\n/)[0].trim() : '';
	const answer = `${code || `HTTP ${status}`}${said ? `: ${said}` : ''}`;
	switch (code) {
		case 'invalid_client':
			return `The token endpoint refused the app's client ID or client secret (${answer}). Check both in the credential; a Microsoft client secret expires, then make a new one under "Certificates & secrets".`;
		case 'invalid_scope':
			return `The token endpoint refused the scope "${grant.scope}" (${answer}). Check the credential's scope.`;
		case 'unauthorized_client':
		case 'unsupported_grant_type':
			return `The token endpoint does not let this app use the client-credentials (app-only) flow (${answer}).`;
		default:
			return `The token endpoint ${grant.tokenUrl} gave no access token (${answer}).`;
	}
}
