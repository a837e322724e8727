import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

const FTP_ONLY = { show: { protocol: ['ftp', 'ftpsExplicit', 'ftpsImplicit'] } };
const SFTP_ONLY = { show: { protocol: ['sftp'] } };

/** An FTP, FTPS or SFTP account: the tax adviser's or bank's drop box for payment files, or another site's. */
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
				{ name: 'SFTP', value: 'sftp', description: 'File transfer over SSH (port 22), with password or key' },
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
			description: 'Leave at 0 for the protocol’s default: 21 for FTP and explicit FTPS, 990 for implicit FTPS, 22 for SFTP',
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
			displayOptions: FTP_ONLY,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Leave empty when you log in with a private key',
			displayOptions: SFTP_ONLY,
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			placeholder: '-----BEGIN OPENSSH PRIVATE KEY----- …',
			description:
				'The whole private key file, OpenSSH (-----BEGIN OPENSSH PRIVATE KEY-----) or PEM (-----BEGIN RSA PRIVATE KEY-----), for a key login. Leave empty to log in with the password.',
			displayOptions: SFTP_ONLY,
		},
		{
			displayName: 'Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The passphrase of the private key, if it has one',
			displayOptions: SFTP_ONLY,
		},
		{
			displayName: 'Host Key Fingerprint',
			name: 'hostKeyFingerprint',
			type: 'string',
			default: '',
			placeholder: 'e.g. SHA256:zlVGwJMB87apQTfu5om7wACSGIbh2OuW239ZoJymK9o',
			description:
				'The server’s SSH host key as ssh-keyscan and ssh print it (ssh-keyscan -p 22 HOST | ssh-keygen -lf -). The connection is refused when the server presents another key; the error shows the key it presented.',
			displayOptions: SFTP_ONLY,
		},
		{
			displayName: 'Accept Any Host Key',
			name: 'acceptAnyHostKey',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect without checking the server’s host key. Anyone between n8n and the server could then read and change the files. Leave off and pin the fingerprint instead.',
			displayOptions: SFTP_ONLY,
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the server’s TLS certificate cannot be verified. Leave off unless you run the server yourself and trust it.',
			displayOptions: FTP_ONLY,
		},
	];
}
