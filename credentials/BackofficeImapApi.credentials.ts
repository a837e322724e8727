import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** An IMAP mailbox: supplier delivery notes arrive here; Order Exchange reads orders from here. */
export class BackofficeImapApi implements ICredentialType {
	name = 'backofficeImapApi';

	displayName = 'Backoffice IMAP API';

	icon: Icon = { light: 'file:icons/imap.svg', dark: 'file:icons/imap.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-backoffice/n8n-nodes-backoffice#imap';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			placeholder: 'e.g. imap.example.com',
			required: true,
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: [
				{ name: 'SSL/TLS', value: 'tls', description: 'Encrypted from the first byte (usually port 993)' },
				{ name: 'STARTTLS', value: 'starttls', description: 'Plain connection upgraded to TLS (usually port 143)' },
				{ name: 'None', value: 'none', description: 'Unencrypted; only for servers on a trusted network' },
			],
			default: 'tls',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			// 0: the port follows the security setting (n8n's credential fields cannot change each other)
			default: 0,
			description: 'Leave at 0 for the port of the security setting: 993 for SSL/TLS, 143 for STARTTLS or None',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			placeholder: 'e.g. lieferscheine@example.com',
			required: true,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
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
