import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * A mailbox reached with OAuth2 (SASL XOAUTH2 / OAUTHBEARER) for IMAP and SMTP: Microsoft 365, Google or any
 * provider with the authorization code flow. One credential serves both protocols: one app registration,
 * one "Connect", one mailbox. n8n's own OAuth2 machinery (Connect button, callback, token storage, refresh)
 * does the token work; the nodes read and refresh the token through it (nodes/shared/mailAuth.ts).
 * Grant Type "Client Credentials" is the app-only variant (Exchange Online: a service principal with mailbox
 * access): no Connect, the nodes ask the token endpoint for a token at each run.
 */
export class BackofficeMailOAuth2Api implements ICredentialType {
	name = 'backofficeMailOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Backoffice Mail OAuth2 API';

	icon: Icon = { light: 'file:icons/imap.svg', dark: 'file:icons/imap.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-backoffice/n8n-nodes-backoffice/blob/main/docs/oauth2.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Provider',
			name: 'provider',
			type: 'options',
			options: [
				{
					name: 'Microsoft 365',
					value: 'microsoft',
					description: 'Exchange Online: outlook.office365.com (IMAP) and smtp.office365.com (SMTP)',
				},
				{ name: 'Google', value: 'google', description: 'Gmail and Google Workspace: imap.gmail.com and smtp.gmail.com' },
				{ name: 'Other Provider', value: 'other', description: 'Any server that takes OAuth2 tokens for IMAP and SMTP' },
			],
			default: 'microsoft',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			options: [
				{
					name: 'Authorization Code',
					value: 'authorizationCode',
					description: 'A person signs in to the mailbox once with "Connect my account"',
				},
				{
					name: 'Client Credentials (App-Only)',
					value: 'clientCredentials',
					description: 'No one signs in: the app itself has access to the mailbox (Microsoft 365 and other providers, not Google)',
				},
			],
			default: 'authorizationCode',
		},
		{
			displayName: 'Tenant',
			name: 'tenant',
			type: 'string',
			default: 'organizations',
			placeholder: 'e.g. contoso.onmicrosoft.com',
			hint: 'Your directory (tenant) ID or domain; "organizations" for any work account, "common" also for personal accounts (App-only: your tenant ID or domain only)',
			displayOptions: { show: { provider: ['microsoft'] } },
		},
		{
			displayName: 'Mailbox',
			name: 'user',
			type: 'string',
			default: '',
			placeholder: 'e.g. lieferscheine@example.com',
			description: 'The address to sign in as (for a shared mailbox: its own address; app-only: the mailbox the app was given access to)',
			required: true,
		},
		{
			displayName: 'Sender Address',
			name: 'senderAddress',
			type: 'string',
			default: '',
			placeholder: 'e.g. rechnung@example.com',
			description: 'The From address of mails sent with this credential; empty: the mailbox',
		},
		{
			displayName: 'Sender Name',
			name: 'senderName',
			type: 'string',
			default: '',
			placeholder: 'e.g. Muster GmbH Buchhaltung',
		},
		{
			displayName: 'Authorization URL',
			name: 'customAuthUrl',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://login.example.com/oauth2/authorize',
			required: true,
			displayOptions: { show: { provider: ['other'], grantType: ['authorizationCode'] } },
		},
		{
			displayName: 'Access Token URL',
			name: 'customAccessTokenUrl',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://login.example.com/oauth2/token',
			required: true,
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'Scopes',
			name: 'customScope',
			type: 'string',
			default: 'offline_access',
			hint: 'Separated by spaces: the scope(s) your mail server wants, and offline_access (or what your provider names it) so that n8n gets a refresh token; app-only: the mail scope only',
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'Client Authentication',
			name: 'customAuthentication',
			type: 'options',
			options: [
				{ name: 'Send Client Credentials as Basic Auth Header', value: 'header' },
				{ name: 'Send Client Credentials in Body', value: 'body' },
			],
			default: 'header',
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'IMAP Host',
			name: 'imapHost',
			type: 'string',
			default: '',
			placeholder: 'e.g. imap.example.com',
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'IMAP Security',
			name: 'imapSecurity',
			type: 'options',
			options: [
				{ name: 'SSL/TLS', value: 'tls' },
				{ name: 'STARTTLS', value: 'starttls' },
			],
			default: 'tls',
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'IMAP Port',
			name: 'imapPort',
			type: 'number',
			default: 993,
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'SMTP Host',
			name: 'smtpHost',
			type: 'string',
			default: '',
			placeholder: 'e.g. smtp.example.com',
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'SMTP Security',
			name: 'smtpSecurity',
			type: 'options',
			options: [
				{ name: 'STARTTLS', value: 'starttls' },
				{ name: 'SSL/TLS', value: 'tls' },
			],
			default: 'starttls',
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'SMTP Port',
			name: 'smtpPort',
			type: 'number',
			default: 587,
			displayOptions: { show: { provider: ['other'] } },
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the server’s TLS certificate cannot be verified. Leave off unless you run the server yourself and trust it.',
			displayOptions: { show: { provider: ['other'] } },
		},
		// n8n's oAuth2Api fields, filled from the provider
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default:
				'={{ $self["provider"] === "microsoft" ? "https://login.microsoftonline.com/" + ($self["tenant"] || "organizations") + "/oauth2/v2.0/authorize" : $self["provider"] === "google" ? "https://accounts.google.com/o/oauth2/v2/auth" : $self["customAuthUrl"] }}',
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default:
				'={{ $self["provider"] === "microsoft" ? "https://login.microsoftonline.com/" + ($self["tenant"] || "organizations") + "/oauth2/v2.0/token" : $self["provider"] === "google" ? "https://oauth2.googleapis.com/token" : $self["customAccessTokenUrl"] }}',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default:
				'={{ $self["provider"] === "microsoft" ? ($self["grantType"] === "clientCredentials" ? "https://outlook.office365.com/.default" : "https://outlook.office365.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send offline_access") : $self["provider"] === "google" ? "https://mail.google.com/" : $self["customScope"] }}',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default:
				'={{ $self["provider"] === "google" ? "access_type=offline&prompt=consent" : $self["provider"] === "microsoft" ? "prompt=select_account" : "" }}',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: '={{ $self["provider"] === "other" ? $self["customAuthentication"] : "body" }}',
		},
	];
}
