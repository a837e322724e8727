/**
 * The E-Invoice IMAP Trigger against the real Dovecot, run the way an active n8n workflow runs it: `poll()`
 * through n8n-core's PollContext, then the workflow from the trigger with the polled items. Mails are put into
 * alice's folders with IMAP APPEND; each test works in folders of its own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';
import MailComposer from 'nodemailer/lib/mail-composer';

import { writeCiiInvoice } from '../../nodes/shared/documents/invoices/cii';
import { makeFacturX } from '../../nodes/shared/documents/invoices/facturx';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { multiAppend } from '../helpers/imapAppend';
import { imapCredentialsFor, loadServers, n8nCredentialData } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { oneRate, twoRates } from '../unit/einvoice/einvoiceSamples';

const FIXTURES = path.join(__dirname, '../fixtures');
const alice = imapCredentialsFor('alice', { security: 'tls', allowSelfSigned: true });

interface Folders {
	inbox: string;
	archive: string;
	error: string;
}

async function freshFolders(name: string): Promise<Folders> {
	const base = `INBOX/${name}-${Math.random().toString(36).slice(2, 8)}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(alice, async (client) => {
		await client.mailboxCreate(base.split('/'));
		for (const folder of Object.values(folders)) await client.mailboxCreate(folder.split('/'));
	});
	return folders;
}

async function deliver(folder: string, mails: Array<{ messageId: string; attachments: Array<{ filename: string; content: Buffer | string; contentType: string }> }>): Promise<void> {
	const raw = await Promise.all(
		mails.map(async (spec) =>
			await new MailComposer({
				from: 'Rechnungen <rechnung@lieferant.example>',
				to: loadServers().users.alice.address,
				subject: `Rechnung ${spec.messageId}`,
				messageId: spec.messageId,
				text: 'Anbei unsere Rechnung.',
				attachments: spec.attachments,
			})
				.compile()
				.build(),
		),
	);
	await multiAppend(alice, folder, raw);
}

async function messageIds(folder: string): Promise<string[]> {
	return await withImapClient(alice, async (client) => {
		await client.mailboxOpen(folder, { readOnly: true });
		if (!client.mailbox || !client.mailbox.exists) return [];
		const messages = await client.fetchAll('1:*', { uid: true, envelope: true });
		return messages.map((m) => m.envelope?.messageId ?? '').sort();
	});
}

function triggerWorkflow(folders: Folders, rulesBroken: 'error' | 'emit' = 'error'): RunnerWorkflow {
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	return new RunnerWorkflow({
		nodes: [
			{
				id: 'trigger',
				name: 'Trigger',
				type: 'n8n-nodes-backoffice.eInvoiceImapTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: { inboxFolder: locator(folders.inbox), archiveFolder: locator(folders.archive), errorFolder: locator(folders.error), rulesBroken, options: {} },
				credentials: { backofficeImapApi: { id: '1', name: 'Rechnungseingang' } },
			},
		],
		connections: {},
	});
}

async function poll(workflow: RunnerWorkflow): Promise<{ invoices: INodeExecutionData[]; errors: INodeExecutionData[]; nothing: boolean }> {
	const { polled, result } = await workflow.pollOnce('Trigger', { credentials: { backofficeImapApi: n8nCredentialData(alice) } });
	if (polled === null) return { invoices: [], errors: [], nothing: true };
	expect(result?.error).toBeUndefined();
	return { invoices: result!.output('Trigger', 0), errors: result!.output('Trigger', 1), nothing: false };
}

describe('E-Invoice IMAP Trigger', () => {
	it('hands over every invoice of every mail exactly once, archives those mails, and sends a mail without an invoice to the error folder with the reason', async () => {
		const folders = await freshFolders('einv');
		const facturX = Buffer.from(await makeFacturX(twoRates(), writeCiiInvoice(twoRates(), 'EN16931'), 'EN16931'));
		await deliver(folders.inbox, [
			{ messageId: '<fx@lieferant.example>', attachments: [{ filename: 'RE-2025-0102.pdf', content: facturX, contentType: 'application/pdf' }] },
			{
				messageId: '<xml@lieferant.example>',
				attachments: [
					{ filename: 'RE-2025-0101.xml', content: writeCiiInvoice(oneRate(), 'EN16931'), contentType: 'application/xml' },
					{ filename: 'AGB.txt', content: 'Allgemeine Geschäftsbedingungen', contentType: 'text/plain' },
				],
			},
			{
				messageId: '<none@lieferant.example>',
				attachments: [{ filename: 'Lieferschein.xml', content: readFileSync(path.join(FIXTURES, 'opentrans', 'order-minimal.xml')), contentType: 'application/xml' }],
			},
			{ messageId: '<nothing@lieferant.example>', attachments: [] },
		]);

		const workflow = triggerWorkflow(folders);
		const first = await poll(workflow);
		expect(first.invoices.map((i) => [i.json.number, (i.json.check as { valid: boolean }).valid, (i.json.mail as { messageId: string }).messageId]).sort()).toEqual([
			['RE-2025-0101', true, '<xml@lieferant.example>'],
			['RE-2025-0102', true, '<fx@lieferant.example>'],
		]);
		const fromPdf = first.invoices.find((i) => i.json.number === 'RE-2025-0102')!;
		expect(fromPdf.json).toMatchObject({ orderReference: 'PO-4711', file: { fileName: 'RE-2025-0102.pdf', container: 'pdf', embeddedFileName: 'factur-x.xml' } });
		expect(fromPdf.binary?.attachment.fileName).toBe('RE-2025-0102.pdf');
		const errors = Object.fromEntries(first.errors.map((e) => [(e.json.mail as { messageId: string }).messageId, e.json]));
		expect(errors['<none@lieferant.example>']).toMatchObject({ reason: 'NO_E_INVOICE', message: expect.stringMatching(/Lieferschein\.xml \(the XML is no e-invoice: its root element is ORDER/) });
		expect(errors['<nothing@lieferant.example>']).toMatchObject({ reason: 'NO_E_INVOICE', message: expect.stringMatching(/no PDF or XML attachment/) });

		expect(await messageIds(folders.inbox)).toEqual([]);
		expect(await messageIds(folders.archive)).toEqual(['<fx@lieferant.example>', '<xml@lieferant.example>']);
		expect(await messageIds(folders.error)).toEqual(['<none@lieferant.example>', '<nothing@lieferant.example>']);

		// exactly once: the next poll finds nothing; a new mail is handed over alone
		expect((await poll(workflow)).nothing).toBe(true);
		await deliver(folders.inbox, [{ messageId: '<later@lieferant.example>', attachments: [{ filename: 'r.xml', content: writeCiiInvoice({ ...oneRate(), number: 'RE-2025-0199' }, 'EN16931'), contentType: 'text/xml' }] }]);
		const third = await poll(workflow);
		expect(third.invoices.map((i) => i.json.number)).toEqual(['RE-2025-0199']);
		expect(third.errors).toEqual([]);
	});

	it('sends a mail whose invoice breaks an EN 16931 rule, or cannot be read, to the error folder naming rule and place', async () => {
		const folders = await freshFolders('einv-bad');
		const wrongTotal = writeCiiInvoice(oneRate(), 'EN16931').toString('utf8').replace(/<ram:GrandTotalAmount>([\d.]+)</, '<ram:GrandTotalAmount>1.00<');
		const withDtd = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${writeCiiInvoice(oneRate(), 'EN16931').toString('utf8').replace(/^<\?xml[^>]*>/, '')}`;
		await deliver(folders.inbox, [
			{ messageId: '<total@lieferant.example>', attachments: [{ filename: 'RE-1.xml', content: wrongTotal, contentType: 'application/xml' }] },
			{ messageId: '<dtd@lieferant.example>', attachments: [{ filename: 'RE-2.xml', content: withDtd, contentType: 'application/xml' }] },
		]);
		const { invoices, errors } = await poll(triggerWorkflow(folders));
		expect(invoices).toEqual([]);
		const byId = Object.fromEntries(errors.map((e) => [(e.json.mail as { messageId: string }).messageId, e.json]));
		expect(byId['<total@lieferant.example>']).toMatchObject({ reason: 'RULES_BROKEN', file: 'RE-1.xml' });
		expect((byId['<total@lieferant.example>'].problems as Array<{ rules: string[] }>)[0].rules).toContain('BR-CO-15');
		expect(byId['<dtd@lieferant.example>']).toMatchObject({ reason: 'INVALID_E_INVOICE', problems: [expect.objectContaining({ detail: 'ENTITY_NOT_ALLOWED' })] });
		expect(errors[0].binary?.attachment).toBeDefined();
		expect(await messageIds(folders.error)).toEqual(['<dtd@lieferant.example>', '<total@lieferant.example>']);
		expect(await messageIds(folders.inbox)).toEqual([]);
	});
});
