/**
 * Server-side faults through the project's own test-servers script (with this process's environment, so
 * with the ports and state folder of the servers the suite talks to): restarts and killed sessions.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const SCRIPT = path.join(__dirname, '../../../scripts/test-servers.sh');

export type ServerFault = 'restart-dovecot' | 'restart-postfix' | 'reload-postfix' | 'restart-vsftpd' | 'kill-ftp-sessions' | 'restart-sshd';

export async function serverFault(command: ServerFault): Promise<void> {
	await promisify(execFile)('bash', [SCRIPT, command], { timeout: 120_000 });
}
