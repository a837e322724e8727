/**
 * The Invoice Bulk Mailer's durable "already sent" record (sentRecords.ts) in n8n's own processed-data store
 * (n8n's DeduplicationHelper on its processed_data table, test/helpers/processedData.ts), run by n8n's engine
 * against the real Postfix and Dovecot: concurrent executions, a run stopped halfway, and the upgrade from the
 * static-data record of earlier versions.
 */
import { fork } from 'node:child_process';
import path from 'node:path';

import { DataDeduplicationService } from 'n8n-core';
import type { IDataObject, INode } from 'n8n-workflow';

import { addressOf, credentials, invoiceJson, mailer, mailsAfterQuiet, mailsWith, recipients } from '../helpers/mailerRecords';
import { processedDataCalls, processedDataWrites } from '../helpers/processedData';
import { loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { SmtpProxy } from '../helpers/smtpProxy';
import type { RunnerWorkflow } from '../helpers/workflowRunner';

const RUN = `IBR${Date.now().toString(36)}`;
let sequence = 0;
const newToken = () => `${RUN}x${++sequence}`;

async function run(workflow: RunnerWorkflow, items: IDataObject[]) {
	const result = await workflow.run('Mailer', {
		credentials: credentials(),
		input: [items.map((json) => ({ json }))],
	});
	if (result.error) throw result.error;
	const numbers = (output: number) =>
		result.output('Mailer', output).flatMap((item) => (item.json.invoiceNumbers as string[] | undefined) ?? [item.json.invoiceNumber as string]);
	return { sent: numbers(0), skipped: numbers(1), failed: numbers(2), skippedItems: result.output('Mailer', 1) };
}

describe("n8n's processed-data store", () => {
	it('is not atomic by itself: two calls at the same moment both report a value as new (why the mailer serializes its claims)', async () => {
		const service = DataDeduplicationService.getInstance();
		const context = { workflow: { id: `wf-${newToken()}`, active: false }, node: { id: 'n1' } as INode };
		const options = { mode: 'entries' as const };
		await service.checkProcessedAndRecord(['first'], 'node', context, options);
		const [a, b] = await Promise.all([
			service.checkProcessedAndRecord(['claim'], 'node', context, options),
			service.checkProcessedAndRecord(['claim'], 'node', context, options),
		]);
		expect([a.new, b.new]).toEqual([['claim'], ['claim']]);
	});
});

describe('Invoice Bulk Mailer, durable record', () => {
	it('mails each invoice exactly once when two executions of the workflow send the same 40 invoices at the same time', async () => {
		const token = newToken();
		const items = Array.from({ length: 40 }, (_, i) => invoiceJson(token, i + 1));
		const [a, b] = await Promise.all([run(mailer(token), items), run(mailer(token), items)]);
		expect([...a.sent, ...b.sent].sort()).toEqual(items.map((i) => i.invoiceNumber).sort());
		// what one execution mailed, the other put on Skipped: already sent, or being sent by the other
		expect([...a.skipped, ...b.skipped].sort()).toEqual(items.map((i) => i.invoiceNumber).sort());
		expect([...a.failed, ...b.failed]).toEqual([]);
		const mails = await mailsWith(token, 40);
		expect(recipients(mails)).toEqual(items.map((_, i) => `kunde${i + 1}-${token}@example.com`).sort());
	});

	it('remembers a manual run, whose static data n8n never saves, and any other execution of the workflow skips what it mailed', async () => {
		const token = newToken();
		const items = Array.from({ length: 3 }, (_, i) => invoiceJson(token, i + 1));
		const first = await run(mailer(token), items.slice(0, 2));
		expect(first.sent).toHaveLength(2);
		// a fresh copy of the workflow (its static data as n8n left it: empty) mails only the third invoice
		const second = await run(mailer(token), items);
		expect(second.sent).toEqual([items[2].invoiceNumber]);
		expect(second.skippedItems.map((i) => [i.json.invoiceNumber, i.json.reason, i.json.contentChanged, i.json.deliveryUncertain])).toEqual([
			[items[0].invoiceNumber, 'already sent', false, undefined],
			[items[1].invoiceNumber, 'already sent', false, undefined],
		]);
		expect(recipients(await mailsWith(token, 3))).toHaveLength(3);
	});

	it("finds what it sent before by reading n8n's database: a run over invoices all sent writes nothing to the store", async () => {
		const token = newToken();
		const items = Array.from({ length: 3 }, (_, i) => invoiceJson(token, i + 1));
		expect((await run(mailer(token), items)).sent).toHaveLength(3);
		const before = processedDataWrites();
		const again = await run(mailer(token), items);
		expect(again.sent).toEqual([]);
		expect(again.skippedItems.map((i) => [i.json.reason, i.json.contentChanged])).toEqual(items.map(() => ['already sent', false]));
		// asked by recording and taking back it took one write per run and one per invoice (here four), plus a
		// remove wherever the answer was no — and a process that died between the two left every unsent invoice
		// of the run marked as delivered: never mailed
		expect(processedDataWrites() - before).toBe(0);
		expect(recipients(await mailsWith(token, 3))).toHaveLength(3);
	});

	it('reads the record once for all invoices mailed before, not once per invoice; one whose content changed is said so', async () => {
		const token = newToken();
		const items = Array.from({ length: 30 }, (_, i) => invoiceJson(token, i + 1));
		expect((await run(mailer(token), items)).sent).toHaveLength(30);
		// the reads of the record: n8n's SQLite file, read through node:sqlite (n8nProcessedData.ts)
		const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
		const prepare = jest.spyOn(sqlite.DatabaseSync.prototype, 'prepare');
		try {
			const changed = items.map((item, i) => (i === 7 ? { ...item, lines: [{ description: 'Festtagstorte', quantity: 2, unit: 'Stk', netUnitPrice: 89.5, vatRate: 7 }] } : item));
			const again = await run(mailer(token), changed);
			expect(again.sent).toEqual([]);
			expect(again.skippedItems.map((i) => i.json.contentChanged)).toEqual(items.map((_, i) => i === 7));
			const reads = prepare.mock.calls.filter(([sql]) => /^SELECT value FROM/.test(sql)).length;
			// one to find the invoices mailed before, one for their contents — before, one more per invoice: 32 here
			expect(reads).toBe(2);
		} finally {
			prepare.mockRestore();
		}
		expect(recipients(await mailsWith(token, 30))).toHaveLength(30);
	});

	it('marks a mail handed over without removing anything: a run that mails every invoice makes no remove call to the store', async () => {
		const token = newToken();
		const items = Array.from({ length: 5 }, (_, i) => invoiceJson(token, i + 1));
		const removes = () => processedDataCalls.removeProcessed ?? 0;
		const before = removes();
		expect((await run(mailer(token), items)).sent).toHaveLength(5);
		// before, each hand-over step also removed `pending` (a second call to the store per step)
		expect(removes() - before).toBe(0);
		// and the marks still close the claims: the next run mails nothing
		expect((await run(mailer(token), items)).sent).toEqual([]);
		expect(recipients(await mailsWith(token, 5))).toHaveLength(5);
	});

	it('carries the static-data record of earlier versions over once: an upgrade mails nothing twice', async () => {
		const token = newToken();
		const items = Array.from({ length: 4 }, (_, i) => invoiceJson(token, i + 1));
		// what version 0.1 left in the node's static data: two invoices mailed, one uncertain
		const legacy = {
			sentInvoices: {
				[items[0].invoiceNumber as string]: 'abcdef0123456789 1741946400',
				[items[1].invoiceNumber as string]: '0123456789abcdef 1741946400 uncertain',
			},
			lastSentAt: '2025-03-14T10:00:00.000Z',
		};
		const upgraded = mailer(token, `wf-${token}`, legacy);
		const first = await run(upgraded, items);
		expect(first.sent.sort()).toEqual([items[2].invoiceNumber, items[3].invoiceNumber].sort());
		expect(first.skippedItems.map((i) => [i.json.invoiceNumber, i.json.contentChanged, i.json.deliveryUncertain ?? false])).toEqual([
			[items[0].invoiceNumber, true, false],
			[items[1].invoiceNumber, false, true],
		]);
		// moved, not copied: the static data no longer holds it
		expect(upgraded.staticData['node:Mailer']).toEqual({});
		// a copy that still has the old static data (an execution saved before the upgrade ran) changes nothing
		const again = await run(mailer(token, `wf-${token}`, legacy), items);
		expect(again.sent).toEqual([]);
		expect(recipients(await mailsWith(token, 2))).toHaveLength(2);
	});

	it('loses no record when the process running the mailer is killed while the reply to its 20th of 40 mails is held: the next run mails only the rest', async () => {
		const token = newToken();
		const items = Array.from({ length: 40 }, (_, i) => invoiceJson(token, i + 1));
		const s = loadServers();
		// the same N8N_USER_FOLDER, so the same n8n database: jest's process.env is not what fork passes by default
		const worker = fork(path.join(__dirname, '../helpers/nodeProcessChild.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: process.env });
		const exited = new Promise<NodeJS.Signals | null>((resolve) => worker.once('exit', (_code, signal) => resolve(signal)));
		// the kill lands at a protocol position: Postfix has queued the 20th mail, its "250" is held by the proxy,
		// and the process dies (SIGKILL, as a queue-mode worker dies) before the reply reaches it
		const proxy = await new SmtpProxy({ host: s.host, port: s.smtp.port }, 'finalDot', 1, {
			after: 19,
			whileHeld: async () => {
				worker.kill('SIGKILL');
				await exited;
			},
		}).start();
		let finished: unknown;
		try {
			await new Promise((resolve) => worker.once('message', resolve));
			const account = { ...smtpCredentialsFor('alice', { security: 'none' }), port: proxy.port };
			worker.send({ workflow: mailer(token).json, node: 'Mailer', outputs: 3, items, credentials: { backofficeSmtpApi: n8nCredentialData(account) } });
			// either the kill (while the reply is held) ends the process, or it finishes: then the fault never landed
			finished = await Promise.race([exited.then(() => undefined), new Promise((resolve) => worker.once('message', resolve))]);
			await proxy.held;
		} finally {
			worker.kill('SIGKILL');
			await exited;
			await proxy.stop();
		}
		if (proxy.cuts !== 1 || finished !== undefined) {
			throw new Error(
				`the kill was not placed at the reply to the 20th mail: the proxy held ${proxy.cuts} replies, ${proxy.messages} mails passed, ` +
					(finished ? `and the run finished first (${JSON.stringify(finished)})` : 'and the mailer process exited by itself'),
			);
		}
		expect(await exited).toBe('SIGKILL');
		const [heldAddress] = proxy.heldRecipients;
		const heldNumber = items.map((i) => i.invoiceNumber as string).find((n) => addressOf(token, n) === heldAddress);
		expect(heldNumber).toBeDefined();
		const beforeKill = recipients(await mailsAfterQuiet(token));
		expect(beforeKill.length).toBeLessThan(items.length);
		// Postfix had queued the held mail before the kill
		expect(beforeKill).toContain(heldAddress);

		const next = await run(mailer(token), items);
		const all = recipients(await mailsAfterQuiet(token));
		// nobody got a mail twice
		expect(new Set(all).size).toBe(all.length);
		// the next run mailed exactly those that had not gone out: the rest of the batch
		const uncertain = next.skippedItems.filter((i) => i.json.deliveryUncertain === true).map((i) => i.json.invoiceNumber as string);
		// the held mail was on the wire at the kill: as documented, it counts as sent and is reported uncertain
		expect(uncertain).toContain(heldNumber);
		const numbers = items.map((i) => i.invoiceNumber as string);
		const rest = numbers.filter((n) => !beforeKill.includes(addressOf(token, n)) && !uncertain.includes(n));
		expect(rest.length).toBeGreaterThan(0);
		expect(next.sent.sort()).toEqual(rest.sort());
		// the mails on the wire at the kill (at most Max Connections + 2) are reported uncertain, not mailed again
		expect(uncertain.length).toBeLessThanOrEqual(3 + 2);
		for (const item of items) {
			const number = item.invoiceNumber as string;
			const mailed = all.filter((a) => a === addressOf(token, number)).length;
			expect([number, mailed === 1 || uncertain.includes(number)]).toEqual([number, true]);
		}
	});
});
