/**
 * n8n's queue mode while its own servers restart: Redis and PostgreSQL (scripts/queue-servers.sh restart-redis,
 * restart-postgres) restarted in the middle of a real execution on a worker, then every
 * document counted: lost (gone from the FTP server, never handed over) or twice (handed over twice).
 *
 * The workflow is the payment import template, its FTP through a control-connection proxy
 * (test/e2e/paymentImportFaults.ts): the proxy holds vsftpd's complete reply to the chosen command; while the
 * worker waits for it, the server is restarted (the script returns once the server answers again), and then the
 * reply is passed on: the execution goes on after its Redis or database connections were cut. No timers: the
 * restart lands at the same protocol position every run. Then the execution must end in a state the user sees
 * (success, or an error), the workflow is run once more, undisturbed, and each payment file must have reached the
 * ERP exactly once.
 *
 * One queue-mode n8n (a main, two workers) serves every test of this file.
 */
import path from 'node:path';

import { N8nInstance, queueServers, START_TIMEOUT_S } from './n8nInstance';
import { PAYMENT_SCHEDULE, PaymentImportUnderFault, type Figures } from './paymentImportFaults';
import { describeExecution, executeManually, getExecution, publish, sleep, waitForExecution, writeCredentials, writeTemplates } from './templateRuns';

const FILES = 3;

/** Waits until the main's readiness check (database connected, migrations done) answers 200; returns how long. */
async function untilReady(n8n: N8nInstance, timeoutMs: number): Promise<number> {
	const t0 = Date.now();
	for (;;) {
		const res = await fetch(`${n8n.baseUrl}/healthz/readiness`).catch(() => undefined);
		if (res?.ok) return Date.now() - t0;
		if (Date.now() - t0 > timeoutMs) throw new Error(`n8n's main was not ready again within ${timeoutMs} ms (last answer: HTTP ${res?.status})`);
		await sleep(200);
	}
}

describe('queue mode: Redis and PostgreSQL restarted during a payment import', () => {
	const faults = new PaymentImportUnderFault('rst', 'restart');
	let n8n: N8nInstance;
	let workflowId = '';

	beforeAll(async () => {
		await faults.start('release');
		const template = faults.template();
		workflowId = template.id;
		n8n = await N8nInstance.start({
			label: 'n8n-queue-restarts',
			mode: 'queue',
			prepare: (instance) => {
				const credentials = writeCredentials(path.join(instance.userDir, 'restart-credentials.json'), faults.credentials());
				instance.importTemplates(writeTemplates(path.join(instance.userDir, 'restart-templates'), [template]), credentials);
			},
		});
		await publish(n8n, workflowId);
	}, (START_TIMEOUT_S * 3 + 120) * 1000);

	afterAll(async () => {
		n8n?.stop();
		await faults.stop();
	}, 120_000);

	/**
	 * Puts FILES payment files on the server, runs the workflow with the reply to the `nth` `command` held and
	 * `restart` run meanwhile, waits for that execution to end, runs the workflow again, and counts per file.
	 */
	async function restartedRun(scenario: string, command: 'RETR' | 'DELE', nth: number, restart: string[]): Promise<Figures> {
		const files = faults.putFiles(scenario, FILES, 200);
		let restartMs = 0;
		const held = faults.hold(command, nth, async () => {
			const t0 = Date.now();
			queueServers(restart);
			restartMs = Date.now() - t0;
		});
		const executionId = await executeManually(n8n, workflowId, PAYMENT_SCHEDULE);
		let landed = false;
		void held.then(() => (landed = true), () => undefined);
		// the fault missed only if the execution ended and its files were committed without the hold: version 2 of
		// the import deletes the files once the execution has ended (after n8n saved it), so a held DELE comes
		// after the execution already reads "success" and its files stay until the release
		const endedUnheld = waitForExecution(n8n, executionId, 240_000).then(async (e) => {
			const deadline = Date.now() + 60_000;
			while (!landed && (await faults.untilGone(files, 0)) > 0 && Date.now() < deadline) await sleep(250);
			if (!landed && (await faults.untilGone(files, 0)) === 0) throw new Error(`the execution ended and committed its files before the reply to ${command} #${nth} was held: ${describeExecution(e)}`);
			await held;
		});
		endedUnheld.catch(() => undefined);
		await Promise.race([held, endedUnheld]);
		faults.disarm();
		// n8n answers 503 "Database is not ready!" until its connection monitor has pinged the database again
		const readyMs = await untilReady(n8n, 120_000);

		// the execution must end where the user sees it: never left "running" or "new" for good
		const first = await waitForExecution(n8n, executionId, 240_000);
		const again = await waitForExecution(n8n, await executeManually(n8n, workflowId, PAYMENT_SCHEDULE), 180_000);
		if (again.status !== 'success') throw new Error(`the run after the restart failed: ${describeExecution(again)}`);

		// the import node (version 2) deletes the files once the execution has ended, just after n8n saved it
		const left = await faults.untilGone(files, 60_000);
		const figures = faults.count(files);
		console.log(
			`queue mode, ${restart.join(' ')} (${restartMs} ms, main ready again ${readyMs} ms later) while the reply to ${command} #${nth} was held: ` +
				`first execution ${describeExecution(await getExecution(n8n, first.id))}; ` +
				`${figures.documents} documents, ${figures.lost} lost, ${figures.twice} twice, ${left} still on the server`,
		);
		expect(['success', 'error']).toContain(first.status);
		expect(left).toBe(0);
		return figures;
	}

	test('Redis restarted while the worker waits for the first RETR: every payment reaches the ERP once', async () => {
		expect(await restartedRun('redis', 'RETR', 1, ['restart-redis'])).toEqual({ documents: FILES, lost: 0, twice: 0 });
	}, 600_000);

	test('PostgreSQL restarted while the worker waits for the first DELE: every payment reaches the ERP once', async () => {
		expect(await restartedRun('pg', 'DELE', 1, ['restart-postgres'])).toEqual({ documents: FILES, lost: 0, twice: 0 });
	}, 600_000);

});
