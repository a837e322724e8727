import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default async function globalTeardown() {
	if (process.env.BACKOFFICE_SERVERS_STARTED_BY_JEST !== '1') return;
	// PostgreSQL and Redis of the queue-mode tests start on demand (test/e2e/n8nInstance.ts): stopped here too
	for (const script of ['queue-servers.sh', 'test-servers.sh']) {
		execFileSync('bash', [path.join(__dirname, '../../scripts', script), 'stop'], {
			stdio: ['ignore', 'inherit', 'inherit'],
		});
	}
}
