import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** An SMTP account for sending invoices, error reports and orders; the sender is part of the account. */
export class BackofficeSmtpApi implements ICredentialType {
	name = 'backofficeSmtpApi';

	displayName = 'Backoffice SMTP API';

	icon: Icon = { light: 'file:icons/smtp.svg', dark: 'file:icons/smtp.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-backoffice/n8n-nodes-backoffice#smtp';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			placeholder: 'e.g. smtp.example.com',
			required: true,
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: [
				{ name: 'STARTTLS', value: 'starttls', description: 'Plain connection upgraded to TLS (usually port 587)' },
				{ name: 'SSL/TLS', value: 'tls', description: 'Encrypted from the first byte (usually port 465)' },
				{ name: 'None', value: 'none', description: 'Unencrypted (port 25); only for relays on a trusted network' },
			],
			default: 'starttls',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			// 0: the port follows the security setting (n8n's credential fields cannot change each other)
			default: 0,
			description: 'Leave at 0 for the port of the security setting: 587 for STARTTLS, 465 for SSL/TLS, 25 for None',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			placeholder: 'e.g. rechnung@example.com',
			description: 'Leave empty for a relay that needs no login',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Sender Address',
			name: 'senderAddress',
			type: 'string',
			default: '',
			placeholder: 'e.g. rechnung@example.com',
			required: true,
		},
		{
			displayName: 'Sender Name',
			name: 'senderName',
			type: 'string',
			default: '',
			placeholder: 'e.g. Muster GmbH Buchhaltung',
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the server’s TLS certificate cannot be verified. Leave off unless you run the server yourself and trust it.',
		},
	];
}
