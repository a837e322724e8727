/**
 * The port follows the security setting: the credentials' Port defaults to 0, which the nodes read as the
 * security's own port; a TLS handshake that fails names the choices of its protocol (FTP: explicit / implicit FTPS).
 */
import { BackofficeFtpApi } from '../../../credentials/BackofficeFtpApi.credentials';
import { BackofficeImapApi } from '../../../credentials/BackofficeImapApi.credentials';
import { BackofficeSmtpApi } from '../../../credentials/BackofficeSmtpApi.credentials';
import { imapCredentials, smtpCredentials } from '../../../nodes/shared/credentials';
import { toTransportError } from '../../../nodes/shared/transports/transportError';

const portDefault = (properties: Array<{ name: string; default: unknown }>) => properties.find((p) => p.name === 'port')?.default;

describe('port follows security', () => {
	test('every credential starts with Port 0: the security setting decides', () => {
		expect(portDefault(new BackofficeImapApi().properties)).toBe(0);
		expect(portDefault(new BackofficeSmtpApi().properties)).toBe(0);
		expect(portDefault(new BackofficeFtpApi().properties)).toBe(0);
	});

	test('IMAP: 993 for SSL/TLS, 143 for STARTTLS and None; a port given wins', () => {
		expect(imapCredentials({ security: 'tls', port: 0 }).port).toBe(993);
		expect(imapCredentials({ security: 'starttls', port: 0 }).port).toBe(143);
		expect(imapCredentials({ security: 'none', port: 0 }).port).toBe(143);
		expect(imapCredentials({ security: 'starttls', port: 1143 }).port).toBe(1143);
	});

	test('SMTP: 465 for SSL/TLS, 587 for STARTTLS, 25 for None', () => {
		expect(smtpCredentials({ security: 'tls', port: 0 }).port).toBe(465);
		expect(smtpCredentials({ security: 'starttls', port: 0 }).port).toBe(587);
		expect(smtpCredentials({ security: 'none', port: 0 }).port).toBe(25);
	});
});

describe('a TLS handshake that fails names the choices of its protocol', () => {
	const handshake = Object.assign(new Error('write EPROTO 00000000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), {
		code: 'EPROTO',
	});

	test('FTP: explicit vs implicit FTPS', () => {
		const error = toTransportError(handshake, { protocol: 'FTP', host: 'ftp.example.com', port: 21 });
		expect(error.kind).toBe('tlsHandshake');
		expect(error.message).toContain('(explicit vs implicit FTPS)');
		expect(error.message).not.toContain('STARTTLS');
	});

	test('IMAP and SMTP: SSL/TLS vs STARTTLS', () => {
		for (const protocol of ['IMAP', 'SMTP'] as const) {
			expect(toTransportError(handshake, { protocol, host: 'mail.example.com', port: 993 }).message).toContain('(SSL/TLS vs STARTTLS)');
		}
	});
});
