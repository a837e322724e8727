import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeProperties,
	IPollFunctions,
} from 'n8n-workflow';

import { CREDENTIAL, imapCredentials, smtpCredentials } from './credentials';
import type { ImapCredentials, ImapSecurity } from './transports/imap';
import {
	requestAppToken,
	TokenRejectedError,
	type AppToken,
	type ClientCredentialsGrant,
	type MailOAuth2,
	type PostForm,
} from './transports/oauth2Token';
import type { SmtpCredentials, SmtpSecurity } from './transports/smtp';

/**
 * How a node signs in to IMAP and SMTP: with the password credentials (backofficeImapApi, backofficeSmtpApi) or
 * with one OAuth2 credential for both (backofficeMailOAuth2Api, extending n8n's oAuth2Api). The access token
 * comes from n8n's token store; a token the server refuses is refreshed through n8n
 * (`helpers.refreshOAuth2Token`: stores the new token, coordinates concurrent refreshes) and the login tried
 * once more (the transports do that). A revoked grant or a scope the token lacks ends in a clear error.
 *
 * App-only sign-in (Grant Type "Client Credentials", Exchange Online's service principal with mailbox access)
 * takes another path: n8n-core 2.41 fetches a client-credentials token only inside an HTTP request made through
 * the credential (`requestOAuth2`), and its `refreshOAuth2Token` needs a token already stored. A mail login is no
 * such request, so the node asks the token endpoint itself at the start of each run (the request n8n would make:
 * client ID and secret, the credential's scope) and asks again when the server refuses an expired token.
 */
export const MAIL_SIGN_IN_TYPE = 'backofficeMailOAuth2Api';

export type MailAuthentication = 'password' | 'oAuth2';

type MailContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

/** The node parameter that picks the sign-in; `name` differs where the node has other credentials too. */
export function mailAuthenticationProperty(
	name = 'authentication',
	displayOptions?: INodeProperties['displayOptions'],
): INodeProperties {
	return {
		displayName: name === 'authentication' ? 'Authentication' : 'Mail Authentication',
		name,
		type: 'options',
		options: [
			{ name: 'Password', value: 'password', description: 'User and password (IMAP / SMTP credential)' },
			{
				name: 'OAuth2',
				value: 'oAuth2',
				description: 'Microsoft 365, Google or another provider: sign in with a token (Mail OAuth2 credential)',
			},
		],
		default: 'password',
		...(displayOptions ? { displayOptions } : {}),
	};
}

export function mailAuthenticationOf(ctx: MailContext, parameter = 'authentication'): MailAuthentication {
	// a node without the parameter (saved before it existed) signs in with a password, as it always did
	return ctx.getNode().parameters?.[parameter] === 'oAuth2' ? 'oAuth2' : 'password';
}

const PRESETS: Record<string, { imap: [string, number, ImapSecurity]; smtp: [string, number, SmtpSecurity] }> = {
	microsoft: { imap: ['outlook.office365.com', 993, 'tls'], smtp: ['smtp.office365.com', 587, 'starttls'] },
	google: { imap: ['imap.gmail.com', 993, 'tls'], smtp: ['smtp.gmail.com', 465, 'tls'] },
};

// scopes that say nothing about mail access: not required in the granted scope
const NON_MAIL_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email']);

/** Where the OAuth2 credential's mailbox lives: the provider's preset, or the hosts typed in for "Other". */
export function oauth2Servers(data: ICredentialDataDecryptedObject): { imap: ImapCredentials; smtp: SmtpCredentials } {
	const preset = PRESETS[String(data.provider ?? 'microsoft')];
	const user = String(data.user ?? '').trim();
	const allowSelfSigned = !preset && data.allowSelfSigned === true;
	const imap = imapCredentials({
		host: preset?.imap[0] ?? data.imapHost,
		port: preset?.imap[1] ?? data.imapPort,
		security: preset?.imap[2] ?? data.imapSecurity,
		user,
		password: '',
		allowSelfSigned,
	});
	const smtp = smtpCredentials({
		host: preset?.smtp[0] ?? data.smtpHost,
		port: preset?.smtp[1] ?? data.smtpPort,
		security: preset?.smtp[2] ?? data.smtpSecurity,
		user,
		senderAddress: String(data.senderAddress ?? '').trim() || user,
		senderName: data.senderName,
		allowSelfSigned,
	});
	return { imap, smtp: { ...smtp, password: undefined } };
}

/** Scopes the credential asked for that the token response does not list (when the provider lists them). */
export function missingScopes(data: ICredentialDataDecryptedObject): string[] {
	const granted = (data.oauthTokenData as { scope?: unknown } | undefined)?.scope;
	if (typeof granted !== 'string' || !granted.trim()) return [];
	const have = new Set(granted.toLowerCase().split(/\s+/));
	return String(data.scope ?? '')
		.split(/\s+/)
		.filter((s) => s && !NON_MAIL_SCOPES.has(s.toLowerCase()) && !have.has(s.toLowerCase()));
}

/** n8n's refresh failed: its "reconnect the credential" words for a revoked grant, else what went wrong. */
function refreshFailure(error: unknown): TokenRejectedError {
	const e = error as { message?: string; description?: string };
	const text = `${e.message ?? String(error)}${e.description ? ` ${e.description}` : ''}`;
	return new TokenRejectedError(text.startsWith('The credential') ? text : `Could not refresh the OAuth2 token: ${text}`);
}

function tokenOf(tokenData: unknown): string {
	const token = (tokenData as { access_token?: unknown } | undefined)?.access_token;
	return typeof token === 'string' ? token : '';
}

function scopeMissing(missing: string[], granted: string, appOnly = false): TokenRejectedError {
	const scopes = missing.map((s) => `"${s}"`).join(', ');
	return new TokenRejectedError(
		appOnly
			? `Scope ${scopes} missing: the token endpoint granted the app only "${granted}". Give the app that permission (Microsoft 365: application permission with admin consent).`
			: `Scope ${scopes} missing: the account granted only "${granted}". ` +
					'Grant the mail permission (Microsoft 365: admin consent for the app) and reconnect the credential.',
	);
}

/** Authorization code flow: the token n8n stored at "Connect my account", refreshed through n8n. */
function signedInOAuth2(ctx: MailContext, data: ICredentialDataDecryptedObject): MailOAuth2 {
	const accessToken = tokenOf(data.oauthTokenData);
	if (!accessToken) {
		throw new TokenRejectedError('The Mail OAuth2 credential is not connected yet: open it and click "Connect my account".');
	}
	const missing = missingScopes(data);
	return {
		accessToken,
		explainRejection: () => (missing.length ? scopeMissing(missing, String((data.oauthTokenData as { scope?: string }).scope)) : undefined),
		refresh: async () => {
			const fresh: unknown = await ctx.helpers.refreshOAuth2Token.call(ctx, MAIL_SIGN_IN_TYPE).catch(refreshFailure);
			if (fresh instanceof TokenRejectedError) throw fresh;
			const token = tokenOf(fresh) || tokenOf({ access_token: (fresh as { accessToken?: unknown })?.accessToken });
			if (!token) throw new TokenRejectedError('Could not refresh the OAuth2 token: the token endpoint returned no access token. Reconnect the credential.');
			return token;
		},
	};
}

/** The client-credentials request of the credential; a provider or tenant that cannot work is refused here. */
export function clientCredentialsGrant(data: ICredentialDataDecryptedObject): ClientCredentialsGrant {
	const provider = String(data.provider ?? 'microsoft');
	if (provider === 'google') {
		throw new TokenRejectedError(
			'Google does not offer app-only (client credentials) sign-in for Gmail\'s IMAP and SMTP: set Grant Type to Authorization Code and connect the mailbox.',
		);
	}
	const tenant = String(data.tenant ?? '').trim();
	if (provider === 'microsoft' && ['', 'organizations', 'common', 'consumers'].includes(tenant.toLowerCase())) {
		throw new TokenRejectedError(
			`App-only sign-in needs your directory (tenant) ID or domain in Tenant (e.g. contoso.onmicrosoft.com), not "${tenant}": an app-only token belongs to one organisation.`,
		);
	}
	return {
		tokenUrl: String(data.accessTokenUrl ?? ''),
		clientId: String(data.clientId ?? ''),
		clientSecret: String(data.clientSecret ?? ''),
		scope: String(data.scope ?? '').trim(),
		authentication: data.authentication === 'body' ? 'body' : 'header',
	};
}

/** Why a server refused an app-only token that had not expired: the app's permissions, in the provider's words. */
function appOnlyRejection(data: ICredentialDataDecryptedObject, token: AppToken): TokenRejectedError {
	const mailbox = String(data.user ?? '').trim();
	const carries = token.scope ? ` (it carries the scope "${token.scope}")` : '';
	const microsoft =
		'Microsoft 365: the app needs the application permissions IMAP.AccessAsApp (reading) and SMTP.SendAsApp (sending) of "Office 365 Exchange Online" with admin consent, ' +
		'and Exchange must know its service principal (New-ServicePrincipal) with access to this mailbox (Add-MailboxPermission … -AccessRights FullAccess).';
	const other = 'Check that the scope is the one your mail server asks for and that the app may open this mailbox.';
	return new TokenRejectedError(
		`App-only OAuth2 token rejected: the mail server refused the app's token for the mailbox "${mailbox}"${carries}, though it had not expired. ` +
			(String(data.provider) === 'microsoft' ? microsoft : other),
	);
}

/** A token request through n8n's HTTP client (its proxy and SSRF settings apply). */
function postThroughN8n(ctx: MailContext): PostForm {
	return async (url, form, headers) => {
		const response = (await ctx.helpers.httpRequest({
			method: 'POST',
			url,
			body: new URLSearchParams(form),
			headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as { statusCode: number; body: unknown };
		const body = typeof response.body === 'string' ? (JSON.parse(response.body || '{}') as unknown) : response.body;
		return { status: response.statusCode, body };
	};
}

/**
 * Client credentials flow: a token from the token endpoint for this run. A server that refuses it while it is
 * still valid refuses the app (scope, permissions): that is said at once, asking again would not help; an
 * expired one is replaced by a new one.
 */
async function appOnlyOAuth2(ctx: MailContext, data: ICredentialDataDecryptedObject): Promise<MailOAuth2> {
	const grant = clientCredentialsGrant(data);
	const post = postThroughN8n(ctx);
	let token = await requestAppToken(grant, post);
	return {
		accessToken: token.accessToken,
		explainRejection: () => {
			const missing = token.scope === undefined ? [] : missingScopes({ ...data, oauthTokenData: { scope: token.scope } });
			if (missing.length) return scopeMissing(missing, token.scope ?? '', true);
			return Date.now() < token.expiresAt ? appOnlyRejection(data, token) : undefined;
		},
		refresh: async () => {
			token = await requestAppToken(grant, post);
			return token.accessToken;
		},
	};
}

/** The token and its refresh (through n8n, or from the token endpoint for app-only sign-in), for the transports. */
async function oauth2Of(ctx: MailContext): Promise<{ data: ICredentialDataDecryptedObject; oauth2: MailOAuth2 }> {
	const data = await ctx.getCredentials(MAIL_SIGN_IN_TYPE);
	const oauth2 = data.grantType === 'clientCredentials' ? await appOnlyOAuth2(ctx, data) : signedInOAuth2(ctx, data);
	return { data, oauth2 };
}

/** "The IMAP credentials of this node": password credential or OAuth2 token, per the node's Authentication. */
export async function imapAccount(ctx: MailContext, parameter = 'authentication'): Promise<ImapCredentials> {
	if (mailAuthenticationOf(ctx, parameter) === 'password') return imapCredentials(await ctx.getCredentials(CREDENTIAL.imap));
	const { data, oauth2 } = await oauth2Of(ctx);
	return { ...oauth2Servers(data).imap, oauth2 };
}

/** "The SMTP credentials of this node": password credential or OAuth2 token, per the node's Authentication. */
export async function smtpAccount(ctx: MailContext, parameter = 'authentication'): Promise<SmtpCredentials> {
	if (mailAuthenticationOf(ctx, parameter) === 'password') return smtpCredentials(await ctx.getCredentials(CREDENTIAL.smtp));
	const { data, oauth2 } = await oauth2Of(ctx);
	return { ...oauth2Servers(data).smtp, oauth2 };
}
