/**
 * The Delivery Note IMAP Trigger under n8n's durable scheduler (N8N_SCHEDULER_ENABLED and
 * N8N_SCHEDULER_POLL_TRIGGERS_ENABLED, opt-in in n8n 2.41) in queue mode on one main: a poll that outlives
 * N8N_SCHEDULER_POLL_TIMEOUT is abandoned by n8n — its result dropped — but keeps running. Here the first
 * scheduled poll's UID FETCH is held by a proxy in front of Dovecot until n8n has logged the abandonment, then
 * let through: the abandoned poll still moves the mails, and a later poll must hand each over once.
 *
 * n8n polls at most once a minute; the poll at activation runs outside the scheduler (no time-out), so the mails
 * arrive after publishing. Everything is waited for by condition (n8n's log, the ERP's requests, the mailbox).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ImapProxy } from '../helpers/imapProxy';
import { loadServers } from '../helpers/servers';
import { HttpReceiver } from './httpReceiver';
import { appendMails, createFolders, randomTag, readFolder } from './mailboxes';
import { N8nInstance, START_TIMEOUT_S } from './n8nInstance';
import { nodeNamed, publish, readTemplate, replaceUrls, sleep, writeCredentials, writeTemplates } from './templateRuns';

const servers = loadServers();
const TEMPLATE = 'delivery-notes-goods-receipt.json';
const TRIGGER = 'Read delivery notes from mailbox';
const SUPPLIER = 'lieferschein@itscope.example';
const MAILS = 4;
/** the durable scheduler for poll triggers, with a short poll time-out: n8n's poll budget is 8 s less its 4 s margin */
const SCHEDULER_ENV = {
	N8N_SCHEDULER_ENABLED: 'true',
	N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
	N8N_SCHEDULER_POLL_TIMEOUT: '8',
};

/** Waits until `condition` holds, looking every 250 ms (a condition, not a guess how long something takes). */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms in vain for ${what}`);
		await sleep(250);
	}
}

describe('durable scheduler (queue mode): Delivery Note IMAP Trigger with a poll held past the poll time-out', () => {
	const tag = randomTag();
	let receiver: HttpReceiver;
	let imapProxy: ImapProxy;
	let n8n: N8nInstance;
	let folders: { inbox: string; archive: string; error: string };
	let workflowId = '';

	beforeAll(async () => {
		receiver = new HttpReceiver().on('POST', '/api/goods-receipts', { status: 201, body: { id: 'GR-1' } });
		await receiver.start();
		folders = await createFolders('alice', `INBOX/e2e-scheduler-${tag}`, { inbox: 'Eingang', archive: 'Archiv', error: 'Fehler' });
		imapProxy = await new ImapProxy().start();
		const template = replaceUrls(readTemplate(TEMPLATE), 'https://erp.example.com', receiver.baseUrl);
		const locator = (value: string) => ({ __rl: true, mode: 'path', value });
		Object.assign(nodeNamed(template, TRIGGER).parameters, {
			inboxFolder: locator(folders.inbox),
			archiveFolder: locator(folders.archive),
			errorFolder: locator(folders.error),
			suppliers: { supplier: [{ name: 'ITscope', sender: SUPPLIER, format: 'opentrans' }] },
			pollTimes: { item: [{ mode: 'everyMinute' }] },
		});
		workflowId = template.id;
		const u = servers.users;
		n8n = await N8nInstance.start({
			label: 'n8n-durable-scheduler',
			mode: 'queue',
			workers: 1,
			env: SCHEDULER_ENV,
			prepare: (instance) => {
				const credentials = writeCredentials(path.join(instance.userDir, 'scheduler-credentials.json'), [
					{ id: 'schImapDelivery1', name: 'Backoffice IMAP (delivery notes)', type: 'backofficeImapApi', data: { host: servers.host, port: imapProxy.port, security: 'none', user: u.alice.user, password: u.alice.password } },
					{ id: 'schErpApi0000001', name: 'ERP API', type: 'httpHeaderAuth', data: { name: 'Authorization', value: `Bearer sch-${tag}` } },
					{ id: 'schSmtpNotify001', name: 'SMTP (notifications)', type: 'smtp', data: { host: servers.host, port: servers.smtp.port, secure: false, disableStartTls: true, user: '', password: '' } },
				]);
				instance.importTemplates(writeTemplates(path.join(instance.userDir, 'scheduler-templates'), [template]), credentials);
			},
		});
	}, (START_TIMEOUT_S * 2 + 120) * 1000);

	afterAll(async () => {
		n8n?.stop();
		await imapProxy?.stop();
		await receiver?.stop();
	}, 120_000);

	test('the abandoned poll hands nothing over; a later poll hands every mail over once', async () => {
		// the poll at activation (outside the scheduler) finds the inbox empty
		await publish(n8n, workflowId);
		const subjects = Array.from({ length: MAILS }, (_, i) => `Lieferavis ${i + 1} ${tag}`);
		const dispatch = readFileSync(path.join(__dirname, '../fixtures/opentrans/dispatchnotification-itscope.xml'));
		const abandoned = /Poll exceeded its timeout and was abandoned/;
		// the first scheduled poll's FETCH waits until n8n has given that poll up
		imapProxy.on({ match: /UID FETCH/, before: async () => await until(() => abandoned.test(n8n.log()), 180_000, "n8n's log line of the abandoned poll") });
		await appendMails(
			'alice',
			folders.inbox,
			subjects.map((subject) => ({ from: `ITscope Lieferavis <${SUPPLIER}>`, to: servers.users.alice.address, subject, attachments: [{ filename: 'Lieferavis.xml', content: dispatch }] })),
		);
		const posted = () => receiver.received('POST', '/api/goods-receipts').map((r) => String((r.body as { mailSubject?: string }).mailSubject));
		await until(() => subjects.every((s) => posted().includes(s)), 240_000, 'every delivery note posted to the ERP');
		await until(async () => (await readFolder('alice', folders.inbox)).length === 0, 60_000, 'an empty inbox');
		const log = n8n.log();
		const lost = subjects.filter((s) => !posted().includes(s)).length;
		const twice = subjects.filter((s) => posted().filter((p) => p === s).length > 1).length;
		console.log(`durable scheduler, poll time-out 8 s, the first scheduled poll's FETCH held until n8n abandoned it: ${MAILS} mails, ${lost} lost, ${twice} twice`);
		expect(log).toMatch(/outlived its time budget and n8n no longer takes its result/);
		expect(log).toMatch(/moved but never handed over were moved back into the inbox/);
		expect((await readFolder('alice', folders.archive)).map((m) => m.subject).sort()).toEqual([...subjects].sort());
		expect(posted().sort()).toEqual([...subjects].sort());
	}, 600_000);
});
