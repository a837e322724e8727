import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default async function globalTeardown() {
	if (process.env.BACKOFFICE_SERVERS_STARTED_BY_JEST !== '1') return;
	execFileSync('bash', [path.join(__dirname, '../../scripts/test-servers.sh'), 'stop'], {
		stdio: ['ignore', 'inherit', 'inherit'],
	});
}
