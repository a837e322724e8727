import { clientCredentialsGrant, missingScopes, oauth2Servers } from '../../../nodes/shared/mailAuth';

describe('Mail OAuth2 credential: servers and scopes', () => {
	it('takes the Microsoft 365 and Google hosts from the preset, whatever else the credential holds', () => {
		const microsoft = oauth2Servers({ provider: 'microsoft', user: ' lager@contoso.com ', imapHost: 'ignored.example' });
		expect([microsoft.imap.host, microsoft.imap.port, microsoft.imap.security]).toEqual(['outlook.office365.com', 993, 'tls']);
		expect([microsoft.smtp.host, microsoft.smtp.port, microsoft.smtp.security]).toEqual(['smtp.office365.com', 587, 'starttls']);
		expect(microsoft.imap.user).toBe('lager@contoso.com');
		expect(microsoft.smtp.senderAddress).toBe('lager@contoso.com');
		expect(microsoft.imap.allowSelfSigned).toBe(false);

		const google = oauth2Servers({ provider: 'google', user: 'rechnung@example.com', senderAddress: 'buchhaltung@example.com', allowSelfSigned: true });
		expect([google.imap.host, google.imap.port]).toEqual(['imap.gmail.com', 993]);
		expect([google.smtp.host, google.smtp.port, google.smtp.security]).toEqual(['smtp.gmail.com', 465, 'tls']);
		expect(google.smtp.senderAddress).toBe('buchhaltung@example.com');
		expect(google.smtp.allowSelfSigned).toBe(false); // only for a server of one's own ("Other Provider")
	});

	it('takes host, port and security of "Other Provider" from the credential', () => {
		const other = oauth2Servers({
			provider: 'other',
			user: 'a@example.org',
			imapHost: 'mail.example.org',
			imapPort: 143,
			imapSecurity: 'starttls',
			smtpHost: 'mail.example.org',
			smtpPort: 465,
			smtpSecurity: 'tls',
			allowSelfSigned: true,
		});
		expect([other.imap.host, other.imap.port, other.imap.security, other.imap.allowSelfSigned]).toEqual(['mail.example.org', 143, 'starttls', true]);
		expect([other.smtp.host, other.smtp.port, other.smtp.security]).toEqual(['mail.example.org', 465, 'tls']);
		expect(other.smtp.password).toBeUndefined();
	});

	it('names the requested mail scopes the token response does not list, ignoring openid and offline_access', () => {
		const scope = 'https://outlook.office365.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send offline_access';
		expect(missingScopes({ scope, oauthTokenData: { scope: 'https://outlook.office365.com/IMAP.AccessAsUser.All' } })).toEqual([
			'https://outlook.office365.com/SMTP.Send',
		]);
		// scopes compare without regard to case (Microsoft answers in its own spelling)
		expect(missingScopes({ scope, oauthTokenData: { scope: scope.toUpperCase() } })).toEqual([]);
		// a provider that does not list the granted scopes: nothing to say
		expect(missingScopes({ scope, oauthTokenData: { access_token: 'x' } })).toEqual([]);
		expect(missingScopes({ scope: 'openid offline_access mail', oauthTokenData: { scope: 'openid' } })).toEqual(['mail']);
	});
});

describe('Mail OAuth2 credential: app-only sign-in (client credentials)', () => {
	const microsoft = {
		provider: 'microsoft',
		grantType: 'clientCredentials',
		tenant: 'contoso.onmicrosoft.com',
		user: 'lager@contoso.com',
		clientId: 'app-id',
		clientSecret: 'app-secret',
		accessTokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
		scope: 'https://outlook.office365.com/.default',
		authentication: 'body',
	};

	it('asks the tenant\'s token endpoint for the Exchange scope, with the client ID and secret', () => {
		expect(clientCredentialsGrant(microsoft)).toEqual({
			tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
			clientId: 'app-id',
			clientSecret: 'app-secret',
			scope: 'https://outlook.office365.com/.default',
			authentication: 'body',
		});
	});

	it('refuses "organizations", "common" or no tenant for Microsoft 365: an app-only token belongs to one organisation', () => {
		for (const tenant of ['organizations', 'Common', '', 'consumers']) {
			expect(() => clientCredentialsGrant({ ...microsoft, tenant })).toThrow(/App-only sign-in needs your directory \(tenant\) ID or domain in Tenant/);
		}
	});

	it('refuses Google, which has no app-only sign-in for Gmail', () => {
		expect(() => clientCredentialsGrant({ ...microsoft, provider: 'google' })).toThrow(/Google does not offer app-only .* set Grant Type to Authorization Code/);
	});
});
