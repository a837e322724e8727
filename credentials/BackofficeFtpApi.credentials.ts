import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** An FTP or FTPS account: the tax adviser's or bank's drop box for payment files, or another site's. */
export class BackofficeFtpApi implements ICredentialType {
	name = 'backofficeFtpApi';

	displayName = 'Backoffice FTP API';

	icon: Icon = { light: 'file:icons/ftp.svg', dark: 'file:icons/ftp.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-backoffice/n8n-nodes-backoffice#ftp';

	properties: INodeProperties[] = [
		{
			displayName: 'Protocol',
			name: 'protocol',
			type: 'options',
			options: [
				{ name: 'FTP', value: 'ftp', description: 'Unencrypted FTP (port 21)' },
				{
					name: 'FTPS (Explicit)',
					value: 'ftpsExplicit',
					description: 'FTP upgraded to TLS with AUTH TLS (port 21)',
				},
				{ name: 'FTPS (Implicit)', value: 'ftpsImplicit', description: 'TLS from the first byte (port 990)' },
			],
			default: 'ftpsExplicit',
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			placeholder: 'e.g. ftp.example.com',
			required: true,
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 0,
			description: 'Leave at 0 for the protocol’s default: 21 for FTP and explicit FTPS, 990 for implicit FTPS',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
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
