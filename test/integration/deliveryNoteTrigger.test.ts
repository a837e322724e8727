/**
 * The Delivery Note IMAP Trigger against the real Dovecot, run the way an active n8n workflow runs it:
 * `poll()` through n8n-core's PollContext, then the workflow from the trigger with the polled items.
 * Mails are put into alice's folders with IMAP APPEND (RFC 822 built by nodemailer's MailComposer); each
 * test works in folders of its own, so tests do not see each other's mails.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import type { ImapFlow } from 'imapflow';
import type { IDataObject, ILoadOptionsFunctions, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import MailComposer from 'nodemailer/lib/mail-composer';

import { DeliveryNoteImapTrigger } from '../../nodes/DeliveryNoteImapTrigger/DeliveryNoteImapTrigger.node';
import { withImapClient, type ImapCredentials } from '../../nodes/shared/transports/imap';
import { multiAppend } from '../helpers/imapAppend';
import { ImapProxy } from '../helpers/imapProxy';
import { imapCredentialsFor, loadServers, n8nCredentialData } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';

const FIXTURES = path.join(__dirname, '../fixtures');
const fixture = (...parts: string[]) => readFileSync(path.join(FIXTURES, ...parts));
const ITSCOPE = fixture('opentrans', 'dispatchnotification-itscope.xml');
const MINIMAL = fixture('opentrans', 'minimal_valid_dispatchnotification_with_delivery_reference.xml');

const alice = imapCredentialsFor('alice', { security: 'tls', allowSelfSigned: true });
const SUPPLIER = 'lieferschein@itscope.example';

interface Folders {
	inbox: string;
	archive: string;
	error: string;
}

/** Three fresh folders under INBOX/<name>-<random>; the inbox, archive and error folder exist unless told. */
async function freshFolders(name: string, create: Array<keyof Folders> = ['inbox', 'archive', 'error']): Promise<Folders> {
	const base = `INBOX/${name}-${Math.random().toString(36).slice(2, 8)}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(alice, async (client) => {
		await client.mailboxCreate(base.split('/'));
		for (const role of create) await client.mailboxCreate(folders[role].split('/'));
	});
	return folders;
}

interface MailSpec {
	from?: string;
	subject?: string;
	messageId?: string;
	text?: string;
	attachments?: Array<{ filename?: string; content: Buffer | string; contentType?: string; encoding?: string }>;
}

async function compose(spec: MailSpec): Promise<Buffer> {
	const mail = new MailComposer({
		from: spec.from ?? `ITscope Lieferavis <${SUPPLIER}>`,
		to: loadServers().users.alice.address,
		subject: spec.subject ?? 'Lieferavis',
		messageId: spec.messageId,
		text: spec.text ?? 'Anbei unser Lieferschein.',
		attachments: spec.attachments,
	});
	return await mail.compile().build();
}

/** Puts the mails into a folder (APPEND, many per command). */
async function deliver(folder: string, mails: MailSpec[]): Promise<void> {
	await multiAppend(alice, folder, await Promise.all(mails.map(compose)));
}

async function contents(folder: string): Promise<Array<{ uid: number; messageId?: string; subject?: string }>> {
	return await withImapClient(alice, async (client) => {
		await client.mailboxOpen(folder, { readOnly: true });
		if (!client.mailbox || !client.mailbox.exists) return [];
		const messages = await client.fetchAll('1:*', { uid: true, envelope: true });
		return messages.map((m) => ({ uid: m.uid, messageId: m.envelope?.messageId, subject: m.envelope?.subject }));
	});
}

async function withAlice<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
	return await withImapClient(alice, work);
}

interface SupplierSpec {
	name: string;
	sender: string;
	format: 'opentrans' | 'desadv' | 'csv';
	[csv: string]: string | boolean;
}

function triggerWorkflow(
	folders: Folders,
	suppliers: SupplierSpec[],
	extra: { unknownSender?: 'error' | 'leave'; options?: INodeParameters } = {},
): RunnerWorkflow {
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	return new RunnerWorkflow({
		nodes: [
			{
				id: 'trigger',
				name: 'Trigger',
				type: 'n8n-nodes-backoffice.deliveryNoteImapTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					inboxFolder: locator(folders.inbox),
					archiveFolder: locator(folders.archive),
					errorFolder: locator(folders.error),
					suppliers: { supplier: suppliers },
					unknownSender: extra.unknownSender ?? 'error',
					options: extra.options ?? {},
				},
				credentials: { backofficeImapApi: { id: '1', name: 'Lieferscheine' } },
			},
		],
		connections: {},
	});
}

const itscope: SupplierSpec = { name: 'ITscope', sender: SUPPLIER, format: 'opentrans' };

interface Polled {
	notes: INodeExecutionData[];
	errors: INodeExecutionData[];
	/** poll() returned null: nothing to do */
	nothing: boolean;
}

async function poll(workflow: RunnerWorkflow, credentials: ImapCredentials = alice): Promise<Polled> {
	const { polled, result } = await workflow.pollOnce('Trigger', {
		credentials: { backofficeImapApi: n8nCredentialData(credentials) },
	});
	if (polled === null) return { notes: [], errors: [], nothing: true };
	// what the workflow saw: the trigger's outputs in the execution n8n ran with the polled items
	expect(result?.error).toBeUndefined();
	return { notes: result!.output('Trigger', 0), errors: result!.output('Trigger', 1), nothing: false };
}

const numbers = (items: INodeExecutionData[]) => items.map((i) => i.json.deliveryNoteNumber as string);

/** An openTRANS delivery note with its own number: the minimal sample with the ID replaced. */
function numberedNote(n: number | string): Buffer {
	return Buffer.from(MINIMAL.toString('utf8').replace('dispatch-id-2', `LS-${n}`), 'utf8');
}

describe('Delivery Note IMAP Trigger', () => {
	it('turns an openTRANS delivery note into one item with supplier, values, mail and attachment, and archives the mail', async () => {
		const folders = await freshFolders('ot');
		await deliver(folders.inbox, [
			{
				messageId: '<ot-1@itscope.example>',
				subject: 'Lieferavis 39076516',
				attachments: [{ filename: 'Lieferavis_39076516.xml', content: ITSCOPE, contentType: 'application/xml' }],
			},
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(errors).toEqual([]);
		expect(notes).toHaveLength(1);
		const note = notes[0].json;
		expect(note).toMatchObject({
			supplier: 'ITscope',
			format: 'opentrans',
			deliveryNoteNumber: '39076516',
			documentDate: '2016-01-31T21:31:00',
			orderNumbers: ['GWAHJV-160131-1470'],
			shipmentId: '1Z7318301287125572',
			sourceFile: 'Lieferavis_39076516.xml',
		});
		expect((note.parties as IDataObject[]).map((p) => p.role)).toEqual(['buyer', 'delivery', 'other', 'supplier']);
		const lines = note.lines as IDataObject[];
		expect(lines.length).toBeGreaterThan(0);
		for (const line of lines) expect(line.quantity).toMatch(/^\d+(\.\d+)?$/);
		expect(note.mail).toEqual({
			messageId: '<ot-1@itscope.example>',
			from: SUPPLIER,
			fromName: 'ITscope Lieferavis',
			to: [loadServers().users.alice.address],
			subject: 'Lieferavis 39076516',
			date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			folder: folders.inbox,
			movedTo: folders.archive,
		});
		const binary = notes[0].binary!.attachment;
		expect(binary).toMatchObject({ fileName: 'Lieferavis_39076516.xml', mimeType: 'application/xml' });
		expect(Buffer.from(binary.data, 'base64').equals(ITSCOPE)).toBe(true);

		expect(await contents(folders.inbox)).toEqual([]);
		expect((await contents(folders.archive)).map((m) => m.messageId)).toEqual(['<ot-1@itscope.example>']);
		expect(await contents(folders.error)).toEqual([]);
	});

	it('turns an EDIFACT DESADV interchange with two messages into two items, and a D.96A message into its values', async () => {
		const folders = await freshFolders('desadv');
		await deliver(folders.inbox, [
			{ attachments: [{ filename: 'DESADV_0815.edi', content: fixture('edifact', 'desadv-eancom-two-messages.edi'), contentType: 'application/edifact' }] },
			{ attachments: [{ filename: 'desadv.txt', content: fixture('edifact', 'desadv-d96a.edi'), contentType: 'application/octet-stream' }] },
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [{ name: 'EDI-Lieferant', sender: `*@itscope.example`, format: 'desadv' }]));

		expect(errors).toEqual([]);
		expect(numbers(notes)).toEqual(['LS-2024-0815', 'DA-2024-0816', 'Y02197250']);
		expect(notes[2].json).toMatchObject({
			supplier: 'EDI-Lieferant',
			format: 'desadv',
			despatchDate: '2016-07-26',
			orderNumbers: ['6877871', '6905456'],
			lines: [
				{ lineNumber: '001', supplierArticleNumber: '9780738507330', description: 'MUNCIE THE MIDDLE', quantity: '1', orderNumber: '6877871' },
				{ lineNumber: '002', supplierArticleNumber: '9781568361871', description: 'ROADS TO SATA A 2', quantity: '1', orderNumber: '6905456' },
			],
			edifact: { messageReference: '142', messageType: 'DESADV:0:96A:UN' },
		});
		// both notes of the interchange carry the one attachment they came from
		expect(notes[0].binary!.attachment.fileName).toBe('DESADV_0815.edi');
		expect(notes[1].binary!.attachment.fileName).toBe('DESADV_0815.edi');
		expect(await contents(folders.inbox)).toEqual([]);
		expect(await contents(folders.archive)).toHaveLength(2);
	});

	it('reads CSV delivery notes of two suppliers, each in its own column mapping and encoding', async () => {
		const folders = await freshFolders('csv');
		await deliver(folders.inbox, [
			{
				from: 'versand@mueller.example',
				attachments: [{ filename: 'Lieferschein.csv', content: fixture('csv', 'lieferschein-mueller-semikolon-cp1252.csv'), contentType: 'text/csv' }],
			},
			{
				from: 'edi@wholesale.example',
				attachments: [{ filename: 'dn.csv', content: fixture('csv', 'delivery-note-comma-utf8-no-header.csv'), contentType: 'text/csv; charset=utf-8' }],
			},
		]);
		const mueller: SupplierSpec = {
			name: 'Müller GmbH',
			sender: 'versand@mueller.example',
			format: 'csv',
			csvDelimiter: ';',
			csvDecimalSeparator: ',',
			csvEncoding: 'windows-1252',
			csvHeaderRow: true,
			csvDeliveryNoteNumber: 'Lieferschein-Nr.',
			csvDate: 'Lieferdatum',
			csvOrderNumber: 'Bestell-Nr.',
			csvLineNumber: 'Pos.',
			csvArticleNumber: 'Artikel-Nr.',
			csvGtin: 'EAN',
			csvDescription: 'Bezeichnung',
			csvQuantity: 'Menge',
			csvUnit: 'Einheit',
		};
		const wholesale: SupplierSpec = {
			name: 'Wholesale',
			sender: '*@wholesale.example',
			format: 'csv',
			csvDelimiter: ',',
			csvDecimalSeparator: '.',
			csvEncoding: 'utf-8',
			csvHeaderRow: false,
			csvDeliveryNoteNumber: '1',
			csvDate: '2',
			csvOrderNumber: '3',
			csvLineNumber: '4',
			csvArticleNumber: '5',
			csvDescription: '6',
			csvQuantity: '7',
			csvUnit: '8',
		};

		const { notes, errors } = await poll(triggerWorkflow(folders, [mueller, wholesale]));

		expect(errors).toEqual([]);
		expect(numbers(notes)).toEqual(['LS-2024-0815', 'LS-2024-0816', 'DN-900117', 'DN-900118']);
		expect(notes[0].json).toMatchObject({
			supplier: 'Müller GmbH',
			documentDate: '2024-03-05',
			orderNumbers: ['B-4711', 'B-4712'],
			lines: [
				{ lineNumber: '1', supplierArticleNumber: 'SCH-M6-20', gtin: '4006381333931', description: 'Schraube M6 verzinkt, Größe 20 mm', quantity: '1250', unit: 'Stk' },
				{ lineNumber: '2', description: 'Sechskantmutter M6 "DIN 934"; verzinkt', quantity: '500' },
				{ lineNumber: '3', description: 'Bindedraht 1,5 mm, geglüht', quantity: '2.5', unit: 'kg', orderNumber: 'B-4712' },
			],
		});
		expect(notes[3].json).toMatchObject({
			supplier: 'Wholesale',
			documentDate: '2024-03-08',
			lines: [{ description: 'Aderendhülsen 1,5 mm²\nBeutel mit 500 Stück', quantity: '1500', unit: 'C62' }],
		});
	});

	it('emits the delivery notes of both attachments of one mail and ignores its PDF copy', async () => {
		const folders = await freshFolders('two');
		await deliver(folders.inbox, [
			{
				attachments: [
					{ filename: 'LS-1.xml', content: numberedNote(1), contentType: 'text/xml' },
					{ filename: 'Lieferschein.pdf', content: Buffer.from('%PDF-1.4 not parsed'), contentType: 'application/pdf' },
					{ filename: 'LS-2.xml', content: numberedNote(2), contentType: 'application/xml' },
				],
			},
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(errors).toEqual([]);
		expect(numbers(notes)).toEqual(['LS-1', 'LS-2']);
		expect(notes.map((n) => n.binary!.attachment.fileName)).toEqual(['LS-1.xml', 'LS-2.xml']);
		expect(notes[0].json.mail).toEqual(notes[1].json.mail);
		expect(await contents(folders.archive)).toHaveLength(1);
	});

	it('moves a mail from an unknown sender to the error folder and reports UNKNOWN_SENDER with the mail', async () => {
		const folders = await freshFolders('unknown');
		await deliver(folders.inbox, [
			{ from: 'spam@elsewhere.example', messageId: '<u-1@elsewhere.example>', subject: 'Angebot', attachments: [{ filename: 'x.xml', content: numberedNote(9) }] },
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(notes).toEqual([]);
		expect(errors).toHaveLength(1);
		expect(errors[0].json).toMatchObject({
			reason: 'UNKNOWN_SENDER',
			message: 'The sender spam@elsewhere.example is not one of the configured suppliers.',
			attachments: ['x.xml'],
			mail: { messageId: '<u-1@elsewhere.example>', from: 'spam@elsewhere.example', subject: 'Angebot', folder: folders.inbox, movedTo: folders.error },
		});
		expect(errors[0].json.supplier).toBeUndefined();
		expect(await contents(folders.inbox)).toEqual([]);
		expect((await contents(folders.error)).map((m) => m.messageId)).toEqual(['<u-1@elsewhere.example>']);
	});

	it('leaves a mail from an unknown sender in the inbox when told to, and reads it once its sender is added', async () => {
		const folders = await freshFolders('leave');
		await deliver(folders.inbox, [{ from: 'neu@newsupplier.example', attachments: [{ filename: 'a.xml', content: numberedNote('neu') }] }]);
		const workflow = triggerWorkflow(folders, [itscope], { unknownSender: 'leave' });

		expect((await poll(workflow)).nothing).toBe(true);
		expect(await contents(folders.inbox)).toHaveLength(1);
		// the next poll does not even fetch it again: it is remembered as left in the inbox
		const proxy = await new ImapProxy().start();
		try {
			expect((await poll(workflow, { ...alice, port: proxy.port, security: 'none' })).nothing).toBe(true);
			expect(proxy.commands.filter((c) => /UID FETCH/.test(c))).toEqual([]);
		} finally {
			await proxy.stop();
		}
		expect(await contents(folders.inbox)).toHaveLength(1);

		const withSupplier = triggerWorkflow(folders, [itscope, { name: 'Neu', sender: '*@newsupplier.example', format: 'opentrans' }], {
			unknownSender: 'leave',
		});
		const { notes } = await poll(withSupplier);
		expect(numbers(notes)).toEqual(['LS-neu']);
		expect(notes[0].json.supplier).toBe('Neu');
	});

	it('sends a mail without attachment, and one with only a PDF, to the error folder with NO_DELIVERY_NOTE', async () => {
		const folders = await freshFolders('noatt');
		await deliver(folders.inbox, [
			{ subject: 'nur Text' },
			{ subject: 'nur PDF', attachments: [{ filename: 'Lieferschein.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' }] },
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(notes).toEqual([]);
		expect(errors.map((e) => [e.json.reason, e.json.supplier, e.json.message])).toEqual([
			['NO_DELIVERY_NOTE', 'ITscope', 'The mail has no attachment.'],
			['NO_DELIVERY_NOTE', 'ITscope', 'No openTRANS DISPATCHNOTIFICATION delivery note among the attachments (Lieferschein.pdf).'],
		]);
		expect(await contents(folders.error)).toHaveLength(2);
	});

	it('sends a mail with corrupt XML to the error folder with PARSE_ERROR, the file and the position, and does not emit its good note', async () => {
		const folders = await freshFolders('corrupt');
		const truncated = ITSCOPE.subarray(0, Math.floor(ITSCOPE.length / 2));
		await deliver(folders.inbox, [
			{
				attachments: [
					{ filename: 'good.xml', content: numberedNote('gut') },
					{ filename: 'kaputt.xml', content: truncated, contentType: 'application/xml' },
				],
			},
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(notes).toEqual([]);
		expect(errors).toHaveLength(1);
		expect(errors[0].json).toMatchObject({ reason: 'PARSE_ERROR', file: 'kaputt.xml', supplier: 'ITscope' });
		expect(errors[0].json.position).toEqual(expect.objectContaining({ line: expect.any(Number) }));
		expect(errors[0].json.message).toMatch(/kaputt\.xml.*line \d+/);
		// the workflow gets the files to forward to whoever fixes them
		expect(Object.values(errors[0].binary!).map((b) => b.fileName)).toEqual(['good.xml', 'kaputt.xml']);
		expect(await contents(folders.error)).toHaveLength(1);
		expect(await contents(folders.archive)).toEqual([]);
	});

	it('refuses an XXE and an entity-expansion attachment with XML_ENTITY_REFUSED and reads no entity', async () => {
		const folders = await freshFolders('xxe');
		await deliver(folders.inbox, [
			{ subject: 'xxe', attachments: [{ filename: 'xxe.xml', content: fixture('opentrans', 'dispatchnotification-xxe.xml') }] },
			{ subject: 'laughs', attachments: [{ filename: 'lol.xml', content: fixture('opentrans', 'dispatchnotification-billion-laughs.xml') }] },
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(notes).toEqual([]);
		expect(errors.map((e) => [e.json.reason, e.json.file])).toEqual([
			['XML_ENTITY_REFUSED', 'xxe.xml'],
			['XML_ENTITY_REFUSED', 'lol.xml'],
		]);
		expect(JSON.stringify(errors.map((e) => e.json))).not.toMatch(/root:x:0:0/);
	});

	it('reads an ISO-8859-1 openTRANS file by its XML declaration, whatever the MIME part claims', async () => {
		const folders = await freshFolders('latin1');
		const text = MINIMAL.toString('utf8')
			.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
			.replace('dispatch-id-2', 'LS-Größe-1')
			.replace('product-number-1', 'Schraube-Ä');
		const latin1 = Buffer.from(text, 'latin1');
		expect(latin1.includes(Buffer.from('ö', 'utf8'))).toBe(false);
		await deliver(folders.inbox, [
			{ attachments: [{ filename: 'iso.xml', content: latin1, contentType: 'application/xml; charset=utf-8' }] },
		]);

		const { notes, errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(errors).toEqual([]);
		expect(notes[0].json).toMatchObject({ deliveryNoteNumber: 'LS-Größe-1', lines: [{ supplierArticleNumber: 'Schraube-Ä', quantity: '5' }] });
	});

	it('sends a mail whose bytes are not valid in its declared charset to the error folder with ENCODING_ERROR', async () => {
		const folders = await freshFolders('enc');
		// bytes 0xFF 0xFE in the middle of a file that declares UTF-8
		const broken = Buffer.from(MINIMAL.toString('latin1').replace('dispatch-id-2', 'LS-\u00ff\u00fe'), 'latin1');
		await deliver(folders.inbox, [{ attachments: [{ filename: 'bad-utf8.xml', content: broken }] }]);

		const { errors } = await poll(triggerWorkflow(folders, [itscope]));

		expect(errors.map((e) => [e.json.reason, e.json.file])).toEqual([['ENCODING_ERROR', 'bad-utf8.xml']]);
	});

	it('sends an attachment bigger than the maximum to the error folder with ATTACHMENT_TOO_LARGE without downloading it', async () => {
		const folders = await freshFolders('big');
		const big = Buffer.from(MINIMAL.toString('utf8').replace('</DISPATCHNOTIFICATION>', `<!-- ${'x'.repeat(300_000)} --></DISPATCHNOTIFICATION>`));
		await deliver(folders.inbox, [{ attachments: [{ filename: 'big.xml', content: big }] }]);

		const { errors } = await poll(triggerWorkflow(folders, [itscope], { options: { maxAttachmentSizeMb: 0.2 } }));

		expect(errors).toHaveLength(1);
		expect(errors[0].json).toMatchObject({ reason: 'ATTACHMENT_TOO_LARGE', file: 'big.xml' });
		expect(errors[0].binary).toBeUndefined();
	});

	it('stops with an error naming a folder path that does not exist, and moves nothing', async () => {
		const folders = await freshFolders('missing', ['inbox', 'error']);
		await deliver(folders.inbox, [{ attachments: [{ filename: 'a.xml', content: numberedNote(1) }] }]);

		await expect(poll(triggerWorkflow(folders, [itscope]))).rejects.toThrow(`The archive folder "${folders.archive}" does not exist on the mail server.`);
		expect(await contents(folders.inbox)).toHaveLength(1);
	});

	it('reads no mail while the suppliers are the template placeholders: "Set your suppliers", nothing moved', async () => {
		const folders = await freshFolders('placeholders');
		await deliver(folders.inbox, [{ attachments: [{ filename: 'a.xml', content: numberedNote(1) }] }]);
		const template = { name: '<your supplier>', sender: '<its sender address, e.g. lieferschein@lieferant.de>', format: 'opentrans' } as SupplierSpec;

		await expect(poll(triggerWorkflow(folders, [itscope, template]))).rejects.toThrow(
			'Set your suppliers: the Suppliers table still holds the template\'s "<your supplier>" (Name)',
		);
		expect(await contents(folders.inbox)).toHaveLength(1);
		expect(await contents(folders.error)).toHaveLength(0);
	});

	it('creates missing folders and their parents when the option is on', async () => {
		const base = `INBOX/create-${Math.random().toString(36).slice(2, 8)}`;
		const folders = { inbox: `${base}/Eingang`, archive: `${base}/Ablage/Archiv`, error: `${base}/Ablage/Fehler` };

		const result = await poll(triggerWorkflow(folders, [itscope], { options: { createMissingFolders: true } }));

		expect(result.nothing).toBe(true);
		// each a real folder, not a \Noselect placeholder: it can be selected (asked of the folder itself, not of a
		// LIST, which on a loaded box once missed a folder Dovecot had just created)
		const selectable = await withAlice(async (client) => {
			const opened: string[] = [];
			for (const folder of [base, `${base}/Ablage`, ...Object.values(folders)]) {
				if (await client.mailboxOpen(folder).then(() => true, () => false)) opened.push(folder);
			}
			return opened;
		});
		expect(selectable).toEqual([base, `${base}/Ablage`, ...Object.values(folders)]);
	});

	it('runs one poll per inbox at a time: an overlapping poll returns nothing, and no mail is emitted twice', async () => {
		const folders = await freshFolders('overlap');
		await deliver(
			folders.inbox,
			Array.from({ length: 200 }, (_, i) => ({ attachments: [{ filename: `n${i}.xml`, content: numberedNote(i) }] })),
		);

		const [a, b] = await Promise.all([poll(triggerWorkflow(folders, [itscope])), poll(triggerWorkflow(folders, [itscope]))]);

		expect([a.nothing, b.nothing].sort()).toEqual([false, true]);
		expect(new Set([...numbers(a.notes), ...numbers(b.notes)]).size).toBe(200);
		// "Fetch Test Event" while a scheduled poll runs says so instead of showing "no data"
		const manual = triggerWorkflow(folders, [itscope]);
		await deliver(folders.inbox, Array.from({ length: 100 }, (_, i) => ({ attachments: [{ filename: 'x.xml', content: numberedNote(`m${i}`) }] })));
		const scheduled = poll(triggerWorkflow(folders, [itscope]));
		await new Promise((resolve) => setImmediate(resolve));
		await expect(
			manual.pollOnce('Trigger', { mode: 'manual', credentials: { backofficeImapApi: n8nCredentialData(alice) } }),
		).rejects.toThrow('Another poll of this inbox folder is running right now');
		expect((await scheduled).notes).toHaveLength(100);
	});

	it('lists the mailbox folders for the folder pickers, filtered by what the user typed, without containers', async () => {
		const folders = await freshFolders('picker');
		const base = folders.inbox.slice(0, folders.inbox.lastIndexOf('/'));
		// a container-only folder (\Noselect) cannot hold mail: it must not be offered
		await withAlice(async (client) => void (await client.mailboxCreate(`${base}/Nur/Container/Blatt`.split('/'))));
		const context = {
			getCredentials: async () => n8nCredentialData(alice),
			getNode: () => ({ name: 'Trigger' }),
		} as unknown as ILoadOptionsFunctions;

		const { results } = await new DeliveryNoteImapTrigger().methods.listSearch.searchFolders.call(context, base.slice(6));

		expect(results.map((r) => r.value)).toEqual([
			folders.archive,
			folders.inbox,
			folders.error,
			`${base}/Nur/Container/Blatt`,
			base,
		].sort((a, b) => a.localeCompare(b)));
		expect(results.every((r) => r.name === r.value)).toBe(true);
	});

	it('keeps a mail in the inbox and emits nothing for it when its move to the archive fails, and emits it once on the next poll', async () => {
		const folders = await freshFolders('movefail');
		await deliver(folders.inbox, [
			{ messageId: '<good@itscope.example>', attachments: [{ filename: 'a.xml', content: numberedNote('A') }] },
			{ from: 'fremd@elsewhere.example', messageId: '<unknown@elsewhere.example>' },
		]);
		const proxy = await new ImapProxy().start();
		// the archive folder disappears after the mails were read, just before the MOVE into it
		proxy.on({
			match: new RegExp(`UID MOVE \\S+ "?${folders.archive.replace(/\//g, '\\/')}`),
			before: async () => {
				await withAlice(async (client) => void (await client.mailboxDelete(folders.archive)));
			},
		});
		const viaProxy = { ...alice, port: proxy.port, security: 'none' as const };
		try {
			const first = await poll(triggerWorkflow(folders, [itscope]), viaProxy);
			expect(first.notes).toEqual([]);
			// the other mail of the same batch went to the error folder as usual
			expect(first.errors.map((e) => e.json.reason)).toEqual(['UNKNOWN_SENDER']);
			expect((await contents(folders.inbox)).map((m) => m.messageId)).toEqual(['<good@itscope.example>']);
		} finally {
			await proxy.stop();
		}

		await withAlice(async (client) => void (await client.mailboxCreate(folders.archive.split('/'))));
		const second = await poll(triggerWorkflow(folders, [itscope]));
		expect(numbers(second.notes)).toEqual(['LS-A']);
		expect(await contents(folders.inbox)).toEqual([]);
	});

	it('emits nothing for a mail another client took away between reading and moving', async () => {
		const folders = await freshFolders('race');
		await deliver(folders.inbox, [
			{ messageId: '<keep@itscope.example>', attachments: [{ filename: 'a.xml', content: numberedNote('keep') }] },
			{ messageId: '<taken@itscope.example>', attachments: [{ filename: 'b.xml', content: numberedNote('taken') }] },
		]);
		const proxy = await new ImapProxy().start();
		proxy.on({
			match: /UID MOVE/,
			before: async () => {
				// a user moves one of the mails away while the poll is busy with it
				await withAlice(async (client) => {
					await client.mailboxOpen(folders.inbox);
					const [uid] = (await client.search({ header: { 'message-id': '<taken@itscope.example>' } }, { uid: true })) || [];
					await client.messageMove(String(uid), folders.error, { uid: true });
				});
			},
		});
		try {
			const { notes } = await poll(triggerWorkflow(folders, [itscope]), { ...alice, port: proxy.port, security: 'none' });
			expect(numbers(notes)).toEqual(['LS-keep']);
		} finally {
			await proxy.stop();
		}
	});

	it('confirms a MOVE whose answer was lost with the connection on a new connection, and emits its mails exactly once', async () => {
		const folders = await freshFolders('lostanswer');
		await deliver(
			folders.inbox,
			Array.from({ length: 320 }, (_, i) => ({ attachments: [{ filename: `n${i}.xml`, content: numberedNote(i) }] })),
		);
		const proxy = await new ImapProxy().start();
		// batches of 50, 250 (small mails) and 20; the second batch's MOVE reaches the server and is carried out, its
		// answer never reaches the trigger
		proxy.on({ match: /UID MOVE/, skip: 1, cutAfterAnswer: true });
		let first: Polled;
		try {
			first = await poll(triggerWorkflow(folders, [itscope]), { ...alice, port: proxy.port, security: 'none' });
		} finally {
			await proxy.stop();
		}
		// batches 1 and 2 are moved and emitted; the third batch was never started
		expect(first.notes).toHaveLength(300);
		expect(await contents(folders.inbox)).toHaveLength(20);

		const second = await poll(triggerWorkflow(folders, [itscope]));
		const all = [...numbers(first.notes), ...numbers(second.notes)];
		expect(new Set(all).size).toBe(all.length);
		expect(all.sort()).toEqual(Array.from({ length: 320 }, (_, i) => `LS-${i}`).sort());
		expect(await contents(folders.archive)).toHaveLength(320);
	});

	it('loses and duplicates nothing when Dovecot restarts in the middle of a poll', async () => {
		const folders = await freshFolders('restart');
		const total = 300;
		await deliver(
			folders.inbox,
			Array.from({ length: total }, (_, i) => ({
				messageId: `<restart-${i}@itscope.example>`,
				attachments: [{ filename: `n${i}.xml`, content: numberedNote(i) }],
			})),
		);
		const proxy = await new ImapProxy().start();
		let restart: Promise<unknown> | undefined;
		proxy.on({
			match: /UID MOVE/,
			skip: 1,
			before: async () => {
				// the second MOVE (of 250 mails, after a first batch of 50) is held until Dovecot has gone down and come
				// back: the connection it was sent on is gone
				restart = promisify(execFile)('bash', [path.join(__dirname, '../../scripts/test-servers.sh'), 'restart-dovecot']);
				await restart;
			},
		});
		let first: Polled;
		try {
			first = await poll(triggerWorkflow(folders, [itscope]), { ...alice, port: proxy.port, security: 'none' });
		} finally {
			await restart;
			await proxy.stop();
		}
		if (!restart) throw new Error('the fault was not placed: the poll sent fewer than two MOVE commands');
		expect(first.notes.length).toBeGreaterThanOrEqual(50);
		expect(first.notes.length).toBeLessThan(total);

		const second = await poll(triggerWorkflow(folders, [itscope]));
		const all = [...numbers(first.notes), ...numbers(second.notes)];
		expect(all).toHaveLength(total);
		expect(new Set(all).size).toBe(total);
		expect(await contents(folders.inbox)).toEqual([]);
		const archived = (await contents(folders.archive)).map((m) => m.messageId);
		expect(new Set(archived).size).toBe(total);
	});

	it('processes 2,000 mails in one poll with one search and batched FETCH and MOVE', async () => {
		const folders = await freshFolders('bulk');
		const total = 2000;
		await deliver(
			folders.inbox,
			Array.from({ length: total }, (_, i) => ({ attachments: [{ filename: `LS-${i}.xml`, content: numberedNote(i) }] })),
		);
		const proxy = await new ImapProxy().start();
		let polled: Polled;
		const started = Date.now();
		try {
			polled = await poll(triggerWorkflow(folders, [itscope], { options: { maxMailsPerPoll: total } }), {
				...alice,
				port: proxy.port,
				security: 'none',
			});
		} finally {
			await proxy.stop();
		}
		const seconds = (Date.now() - started) / 1000;

		expect(polled.notes).toHaveLength(total);
		expect(new Set(numbers(polled.notes)).size).toBe(total);
		expect(await contents(folders.inbox)).toEqual([]);
		const commands = (verb: RegExp) => proxy.commands.filter((c) => verb.test(c)).length;
		expect(commands(/^\S+ UID SEARCH/)).toBe(1);
		// a first batch of 50, then the small mails 250 at a time (1 + 7 + 1 batches): one FETCH each (structure and
		// the attachment part together), one MOVE each
		expect(commands(/^\S+ UID FETCH/)).toBe(9);
		expect(commands(/^\S+ UID MOVE/)).toBe(9);
		expect(seconds).toBeLessThan(90);
	});
});
