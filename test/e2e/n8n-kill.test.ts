/**
 * The real n8n server killed with SIGKILL in the middle of a real run, then restarted, the run repeated, and
 * every document counted: lost (gone from the FTP server, never handed over) or twice (handed over twice).
 *
 * The workflow is the payment import template, its FTP through a control-connection proxy
 * (test/e2e/paymentImportFaults.ts). The proxy forwards the
 * chosen command to vsftpd, holds vsftpd's complete reply, and while it holds it the process that runs the
 * execution is killed: the main in the default mode (SQLite, one process), the worker that logged the
 * execution in queue mode (PostgreSQL, Redis, a main and two workers). No timers: the kill lands at the same
 * protocol position every run. Then that process is started again and the workflow run once more, undisturbed.
 *
 * - killed while the reply to the first file's RETR is held: nothing was committed → 0 lost, 0 twice;
 * - killed while the reply to the first file's DELE is held: the template's import node (version 2) deletes a
 *   file only once the execution that carries its payments has ended (n8n's workflowExecuteAfter hook, after
 *   n8n saved the execution), so the DELE comes after the ERP received the payments → 0 lost, 0 twice.
 * - the Delivery Note IMAP Trigger, killed while the answer to its UID MOVE is held (the mails are in the archive
 *   folder, marked $BackofficePending): the next poll after the restart moves them back and hands them over.
 */
import path from 'node:path';

import { ImapProxy } from '../helpers/imapProxy';
import { loadServers } from '../helpers/servers';
import { fixture } from '../unit/deliveryNotes/helpers';
import { appendMails, createFolders, readFolder } from './mailboxes';
import { N8nInstance, type N8nMode, START_TIMEOUT_S } from './n8nInstance';
import { PAYMENT_SCHEDULE, PaymentImportUnderFault, type Figures } from './paymentImportFaults';
import {
	describeExecution,
	executeManually,
	nodeNamed,
	publish,
	readTemplate,
	replaceUrls,
	sleep,
	unpublish,
	waitForExecution,
	writeCredentials,
	writeTemplates,
	type ExecutionSummary,
} from './templateRuns';

const servers = loadServers();
const MAIL_TEMPLATE = 'delivery-notes-goods-receipt.json';
const MAIL_TRIGGER = 'Read delivery notes from mailbox';
const SUPPLIER = 'lieferschein@itscope.example';

async function waitUntilEnded(n8n: N8nInstance, id: string, timeoutMs: number): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const { status } = (await n8n.api<{ data: ExecutionSummary }>('GET', `/rest/executions/${id}`)).data;
		if (!['new', 'running', 'waiting'].includes(status) || Date.now() > deadline) return status;
		await sleep(500);
	}
}

describe.each<N8nMode>(['default', 'queue'])('n8n killed with SIGKILL during a payment import (%s mode)', (mode) => {
	const faults = new PaymentImportUnderFault('kill', `kill-${mode}`);
	const tag = faults.tag;
	let imapProxy: ImapProxy;
	let n8n: N8nInstance;
	let workflowId = '';
	let mailWorkflowId = '';
	let folders: { inbox: string; archive: string; error: string };

	beforeAll(async () => {
		faults.receiver.on('POST', '/api/goods-receipts', { status: 201, body: { id: 'GR-1' } });
		await faults.start();
		imapProxy = await new ImapProxy().start();
		folders = await createFolders('alice', `INBOX/kill-${mode}-${tag}`, { inbox: 'Eingang', archive: 'Archiv', error: 'Fehler' });
		const mailTemplate = replaceUrls(readTemplate(MAIL_TEMPLATE), 'https://erp.example.com', faults.receiver.baseUrl);
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		Object.assign(nodeNamed(mailTemplate, MAIL_TRIGGER).parameters, {
			// every minute: the poll that is killed comes on the schedule, after the workflow was switched on
			pollTimes: { item: [{ mode: 'everyMinute' }] },
			inboxFolder: locator(folders.inbox),
			archiveFolder: locator(folders.archive),
			errorFolder: locator(folders.error),
			suppliers: { supplier: [{ name: 'ITscope', sender: SUPPLIER, format: 'opentrans' }] },
		});
		for (const name of ['Mail the administrators: ERP refused', 'Mail the administrators: mail not read']) {
			Object.assign(nodeNamed(mailTemplate, name).parameters, { fromEmail: 'n8n <n8n@backoffice.test>', toEmail: servers.users.admin.address });
		}
		mailWorkflowId = mailTemplate.id;
		const template = faults.template();
		workflowId = template.id;
		const u = servers.users;
		n8n = await N8nInstance.start({
			label: `n8n-kill-${mode}`,
			mode,
			prepare: (instance) => {
				const credentials = writeCredentials(path.join(instance.userDir, 'kill-credentials.json'), [
					...faults.credentials(),
					{ id: 'killImapNotes001', name: 'Backoffice IMAP (delivery notes)', type: 'backofficeImapApi', data: { host: servers.host, port: imapProxy.port, security: 'none', user: u.alice.user, password: u.alice.password } },
				]);
				instance.importTemplates(writeTemplates(path.join(instance.userDir, 'kill-templates'), [template, mailTemplate]), credentials);
			},
		});
		await publish(n8n, workflowId);
	}, (START_TIMEOUT_S * 3 + 120) * 1000);

	afterAll(async () => {
		n8n?.stop();
		await imapProxy?.stop();
		await faults.stop();
	}, 120_000);

	/** Which process runs execution `id`: the main, or the worker that logged it as started. */
	function runnerOf(id: string): string {
		if (mode === 'default') return 'n8n';
		const worker = [1, 2].find((n) => n8n.workerExecutions(n).includes(id));
		if (!worker) throw new Error(`no worker logged execution ${id}`);
		return `worker-${worker}`;
	}

	/**
	 * Puts `files` payment files on the server, runs the workflow with the reply to the `nth` `command` held and
	 * the executing process killed meanwhile, restarts it, runs the workflow again, and counts per file.
	 */
	async function killedRun(scenario: string, command: 'RETR' | 'DELE', nth: number, count: number): Promise<Figures> {
		const files = faults.putFiles(scenario, count, 100);
		let killed = '';
		let known: (id: string) => void = () => {};
		const started = new Promise<string>((resolve) => (known = resolve));
		const held = faults.hold(command, nth, async () => {
			// the proxy only sees commands of a running execution; its id comes with the answer to the run request
			killed = runnerOf(await started);
			await n8n.kill(killed);
		});
		const executionId = await executeManually(n8n, workflowId, PAYMENT_SCHEDULE);
		known(executionId);
		await held;
		if (killed === 'n8n') await n8n.restartMain();
		else await n8n.startWorker(Number(killed.replace('worker-', '')));
		const firstStatus = await waitUntilEnded(n8n, executionId, 120_000);

		const again = await waitForExecution(n8n, await executeManually(n8n, workflowId, PAYMENT_SCHEDULE), 180_000);
		if (again.status !== 'success') throw new Error(`the run after the restart failed: ${describeExecution(again)}`);
		// the node (version 2) deletes the files at the end of the execution, after n8n saved it: wait for that
		// end, so that the next scenario's held DELE is not one of this run's
		await faults.untilGone(files, 120_000);

		const figures = faults.count(files);
		console.log(
			`n8n kill (${mode} mode, ${killed} killed while the reply to ${command} #${nth} was held; first execution ${firstStatus}): ` +
				`${figures.documents} documents, ${figures.lost} lost, ${figures.twice} twice`,
		);
		return figures;
	}

	test('killed while the first file is read (RETR): every payment reaches the ERP once', async () => {
		expect(await killedRun('retr', 'RETR', 1, 2)).toEqual({ documents: 2, lost: 0, twice: 0 });
	}, 600_000);

	test('killed while the reply to the first DELE is held: every payment reaches the ERP once', async () => {
		expect(await killedRun('dele', 'DELE', 1, 2)).toEqual({ documents: 2, lost: 0, twice: 0 });
	}, 600_000);

	/**
	 * The Delivery Note IMAP Trigger of the goods-receipt template, switched on, polling every minute through an
	 * IMAP proxy. The proxy holds the answer to the poll's first UID MOVE (the batch is in the archive folder,
	 * marked $BackofficePending) and the main, which runs the polls in both modes, is killed meanwhile. After the
	 * restart, n8n polls at once: every mail reaches the ERP once.
	 */
	test('IMAP: killed between the MOVE to the archive and the saved execution: every mail handed over once after the restart', async () => {
		const subjects = [1, 2, 3].map((i) => `Lieferavis kill ${mode} ${tag} ${i}`);
		// switched on with an empty inbox (its first poll finds nothing), so that the workflow stays on over the kill
		await publish(n8n, mailWorkflowId);
		await appendMails(
			'alice',
			folders.inbox,
			subjects.map((subject, i) => ({
				from: `ITscope Lieferavis <${SUPPLIER}>`,
				to: servers.users.alice.address,
				subject,
				attachments: [{ filename: `Lieferavis_${i}.xml`, content: fixture('opentrans', 'dispatchnotification-itscope.xml') }],
			})),
		);
		const killed = new Promise<void>((resolve) => {
			imapProxy.on({
				match: /^\S+ UID MOVE /i,
				whileAnswerHeld: async () => {
					await n8n.kill('n8n');
					resolve();
				},
			});
		});
		await killed;
		const archivedAtKill = (await readFolder('alice', folders.archive)).length;
		await n8n.restartMain();
		const posted = (subject: string) =>
			faults.receiver.received('POST', '/api/goods-receipts').filter((r) => (r.body as { mailSubject?: string }).mailSubject === subject).length;
		const deadline = Date.now() + 240_000;
		while (subjects.some((s) => posted(s) === 0) && Date.now() < deadline) await sleep(1000);
		await unpublish(n8n, mailWorkflowId);
		const figures: Figures = { documents: subjects.length, lost: 0, twice: 0 };
		for (const subject of subjects) {
			if (posted(subject) === 0) figures.lost++;
			if (posted(subject) > 1) figures.twice++;
		}
		console.log(
			`n8n kill (${mode} mode, main killed while the answer to UID MOVE was held, ${archivedAtKill} mail(s) in the archive then): ` +
				`${figures.documents} mails, ${figures.lost} lost, ${figures.twice} twice`,
		);
		expect(archivedAtKill).toBe(subjects.length);
		expect(figures).toEqual({ documents: subjects.length, lost: 0, twice: 0 });
		expect(await readFolder('alice', folders.inbox)).toEqual([]);
	}, 600_000);
});
