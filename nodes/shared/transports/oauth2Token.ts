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
