import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeProperties,
	IPollFunctions,
} from 'n8n-workflow';

import { CREDENTIAL, imapCredentials, smtpCredentials } from './credentials';
import type { ImapCredentials, ImapSecurity } from './transports/imap';
import { TokenRejectedError, type MailOAuth2 } from './transports/oauth2Token';
import type { SmtpCredentials, SmtpSecurity } from './transports/smtp';

/**
 * How a node signs in to IMAP and SMTP: with the password credentials (backofficeImapApi, backofficeSmtpApi) or
 * with one OAuth2 credential for both (backofficeMailOAuth2Api, extending n8n's oAuth2Api). The access token
 * comes from n8n's token store; a token the server refuses is refreshed through n8n
 * (`helpers.refreshOAuth2Token`: stores the new token, coordinates concurrent refreshes) and the login tried
 * once more (the transports do that). A revoked grant or a scope the token lacks ends in a clear error.
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

/** The token and its refresh through n8n, for the transports. */
async function oauth2Of(ctx: MailContext): Promise<{ data: ICredentialDataDecryptedObject; oauth2: MailOAuth2 }> {
	const data = await ctx.getCredentials(MAIL_SIGN_IN_TYPE);
	const accessToken = tokenOf(data.oauthTokenData);
	if (!accessToken) {
		throw new TokenRejectedError('The Mail OAuth2 credential is not connected yet: open it and click "Connect my account".');
	}
	const missing = missingScopes(data);
	const oauth2: MailOAuth2 = {
		accessToken,
		explainRejection: () =>
			missing.length
				? new TokenRejectedError(
						`Scope ${missing.map((s) => `"${s}"`).join(', ')} missing: the account granted only "${String((data.oauthTokenData as { scope?: string }).scope)}". ` +
							'Grant the mail permission (Microsoft 365: admin consent for the app) and reconnect the credential.',
					)
				: undefined,
		refresh: async () => {
			const fresh: unknown = await ctx.helpers.refreshOAuth2Token.call(ctx, MAIL_SIGN_IN_TYPE).catch(refreshFailure);
			if (fresh instanceof TokenRejectedError) throw fresh;
			const token = tokenOf(fresh) || tokenOf({ access_token: (fresh as { accessToken?: unknown })?.accessToken });
			if (!token) throw new TokenRejectedError('Could not refresh the OAuth2 token: the token endpoint returned no access token. Reconnect the credential.');
			return token;
		},
	};
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
