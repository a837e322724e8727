/**
 * The Order Exchange node run by n8n's engine (RunnerWorkflow → WorkflowExecute) against the real servers:
 * site A (carol, the home office) sends through Postfix, site B (bob, the head office) receives from Dovecot;
 * the same through vsftpd, through OpenSSH's sshd (SFTP) and through a local folder. Every test works in mailbox folders, FTP directories
 * and temporary folders of its own, and in site IDs of its own, so tests do not see each other's documents.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { IBinaryData, IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import MailComposer from 'nodemailer/lib/mail-composer';

import type { BusinessDocument } from '../../nodes/shared/documents/orders';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { multiAppend } from '../helpers/imapAppend';
import { processedDataCalls } from '../helpers/processedData';
import { FILE_SERVERS, fileServerCredentials, remoteDirectory, removeRemoteDirectories } from '../helpers/remoteFiles';
import { ftpCredentialsFor, imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { fixture, sampleOrder, sampleQuote, validateOpenTrans } from '../unit/orders/sampleDocuments';

const servers = loadServers();
const bob = imapCredentialsFor('bob');
const NODE = 'Order Exchange';

const CREDENTIALS = {
	backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('carol')),
	backofficeImapApi: n8nCredentialData(bob),
	backofficeFtpApi: n8nCredentialData(ftpCredentialsFor({ protocol: 'ftpsExplicit' })),
};

const token = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function exchange(parameters: INodeParameters): RunnerWorkflow {
	const node: INode = {
		id: 'exchange',
		name: NODE,
		type: 'n8n-nodes-backoffice.orderExchange',
		typeVersion: 1,
		position: [0, 0],
		parameters,
	};
	return new RunnerWorkflow({ name: `Order Exchange ${token()}`, nodes: [node], connections: {} });
}

interface Outputs {
	/** Sent / Orders / Matched */
	first: INodeExecutionData[];
	/** Skipped / Skipped / Review */
	second: INodeExecutionData[];
	/** – / Errors / – */
	third: INodeExecutionData[];
}

async function run(workflow: RunnerWorkflow, input: INodeExecutionData[] = [{ json: {} }], credentials = CREDENTIALS): Promise<Outputs> {
	const result = await workflow.run(NODE, { credentials, input: [input] });
	if (result.error) throw result.error;
	return { first: result.output(NODE, 0), second: result.output(NODE, 1), third: result.output(NODE, 2) };
}

async function runFails(workflow: RunnerWorkflow, input: INodeExecutionData[] = [{ json: {} }]): Promise<Error> {
	const result = await workflow.run(NODE, { credentials: CREDENTIALS, input: [input] });
	if (result.error) return result.error;
	try {
		result.output(NODE, 0);
	} catch (error) {
		return error as Error;
	}
	throw new Error('the run did not fail');
}

/** Three documents of one site, as workflow items: two orders and a quote, numbers in the range 20000–29999. */
function threeDocuments(site: string): IDataObject[] {
	const order = sampleOrder();
	const quote = sampleQuote();
	const second: BusinessDocument = {
		...sampleOrder(),
		number: '20003',
		customer: { name: 'Bäckerei Meier', street: 'Lindenweg 12', zip: '80331', city: 'München' },
		delivery: undefined,
	};
	return [
		{ ...order, number: '20001', site },
		{ ...quote, number: '20002', site },
		{ ...second, site },
	].map((d) => JSON.parse(JSON.stringify(d)) as IDataObject);
}

const items = (docs: IDataObject[]): INodeExecutionData[] => docs.map((json) => ({ json }));
const numbers = (list: INodeExecutionData[]) => list.map((i) => i.json.number);
const xmlOf = (item: INodeExecutionData): Buffer => Buffer.from(item.binary!.data.data, 'base64');
const siteA = (id: string): INodeParameters => ({ site: [{ siteId: id, rangeFrom: '20000', rangeTo: '29999' }] });

function expectValidOpenTrans(item: INodeExecutionData): void {
	const verdict = validateOpenTrans(xmlOf(item));
	expect(verdict.messages).toBe('- validates');
	expect(verdict.valid).toBe(true);
}

/** What a received document must still say after the trip. */
function expectSameDocument(received: IDataObject, sent: IDataObject): void {
	expect(received).toMatchObject({
		type: sent.type,
		number: sent.number,
		date: sent.date,
		site: sent.site,
		currency: sent.currency,
		customer: sent.customer,
		totals: sent.totals,
	});
	expect((received.lines as IDataObject[]).map((l) => [l.lineNumber, l.articleNumber, l.description, l.quantity, l.unit, l.netPrice, l.vatRate])).toEqual(
		(sent.lines as IDataObject[]).map((l) => [l.lineNumber, l.articleNumber, l.description, l.quantity, l.unit, l.netPrice, l.vatRate]),
	);
}

// ------------------------------------------------------------------------------------------------
// Mailbox, FTP and folder helpers

interface MailFolders {
	inbox: string;
	archive: string;
	error: string;
}

async function freshMailFolders(): Promise<MailFolders> {
	const base = `INBOX/ox-${token()}`;
	const folders = { inbox: `${base}/Eingang`, archive: `${base}/Archiv`, error: `${base}/Fehler` };
	await withImapClient(bob, async (client) => {
		await client.mailboxCreate(base.split('/'));
		for (const f of Object.values(folders)) await client.mailboxCreate(f.split('/'));
	});
	return folders;
}

/** Waits until Postfix has delivered `count` mails whose subject contains `marker` to bob, then moves them into `folder`. */
async function collectMails(marker: string, count: number, folder: string): Promise<void> {
	for (let attempt = 0; attempt < 120; attempt++) {
		const moved = await withImapClient(bob, async (client) => {
			await client.mailboxOpen('INBOX');
			const uids = (await client.search({ subject: marker }, { uid: true })) || [];
			if (uids.length < count) return false;
			await client.messageMove(uids.join(','), folder, { uid: true });
			return true;
		});
		if (moved) return;
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${count} mail(s) with "${marker}" did not arrive in bob's inbox`);
}

async function mailsIn(folder: string): Promise<Array<{ subject: string; attachments: string[] }>> {
	return await withImapClient(bob, async (client) => {
		await client.mailboxOpen(folder, { readOnly: true });
		if (!client.mailbox || !client.mailbox.exists) return [];
		const messages = await client.fetchAll('1:*', { envelope: true, bodyStructure: true });
		return messages.map((m) => ({
			subject: m.envelope?.subject ?? '',
			attachments: (m.bodyStructure?.childNodes ?? []).map((c) => c.dispositionParameters?.filename).filter((n): n is string => !!n),
		}));
	});
}

function receiveByMail(folders: MailFolders, sites: INodeParameters, extra: INodeParameters = {}): RunnerWorkflow {
	const locator = (value: string) => ({ __rl: true, mode: 'path', value });
	return exchange({
		operation: 'receive',
		transport: 'email',
		inboxFolder: locator(folders.inbox),
		archiveFolder: locator(folders.archive),
		errorFolder: locator(folders.error),
		sites,
		...extra,
	});
}

const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

/**
 * Every name that appears in a directory (inotify, so also files that exist only for a moment), from now on;
 * `once(names)` waits until those have appeared, then stops watching and gives all names seen.
 */
function namesAppearingIn(dir: string): { once(names: string[]): Promise<string[]> } {
	const seen = new Set<string>();
	const watcher = watch(dir, (_event, name) => name && seen.add(String(name)));
	return {
		once: async (names) => {
			const deadline = Date.now() + 10_000;
			while (!names.every((n) => seen.has(n)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
			watcher.close();
			return [...seen];
		},
	};
}

const localFolders: string[] = [];

function localFolder(): string {
	const folder = mkdtempSync(path.join(tmpdir(), 'ox-folder-'));
	localFolders.push(folder);
	return folder;
}

afterAll(() => {
	for (const folder of localFolders) rmSync(folder, { recursive: true, force: true });
	removeRemoteDirectories();
});

function receiveFromFolder(folder: string, sites: INodeParameters, extra: INodeParameters = {}): RunnerWorkflow {
	return exchange({ operation: 'receive', transport: 'folder', inputFolder: folder, sites, receiveOptions: { uploadWaitSeconds: 0 }, ...extra });
}

function sendToFolder(folder: string): RunnerWorkflow {
	return exchange({ operation: 'send', transport: 'folder', folderPath: folder });
}

function binaryItem(bytes: Buffer, fileName: string): INodeExecutionData {
	const data: IBinaryData = { data: bytes.toString('base64'), mimeType: 'application/xml', fileName };
	return { json: {}, binary: { data } };
}

// ------------------------------------------------------------------------------------------------

describe('Order Exchange: round trips between two sites', () => {
	it('site A sends three documents by mail through Postfix, site B receives them from Dovecot once, and every document validates against the openTRANS schema', async () => {
		const site = `filiale-${token()}`;
		const docs = threeDocuments(site);
		const sent = await run(exchange({ operation: 'send', transport: 'email', recipient: servers.users.bob.address }), items(docs));
		expect(sent.second).toEqual([]);
		expect(sent.first.map((i) => [i.json.number, i.json.type, i.json.fileName, i.json.subject])).toEqual([
			['20001', 'order', `${site}_ORDER_20001.xml`, `[Order Exchange] ${site} ORDER 20001`],
			['20002', 'quote', `${site}_QUOTATION_20002.xml`, `[Order Exchange] ${site} QUOTATION 20002`],
			['20003', 'order', `${site}_ORDER_20003.xml`, `[Order Exchange] ${site} ORDER 20003`],
		]);
		expect(sent.first.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		sent.first.forEach(expectValidOpenTrans);

		const folders = await freshMailFolders();
		await collectMails(site, 3, folders.inbox);
		const arrived = await mailsIn(folders.inbox);
		expect(arrived.map((m) => m.attachments).sort()).toEqual([[`${site}_ORDER_20001.xml`], [`${site}_ORDER_20003.xml`], [`${site}_QUOTATION_20002.xml`]]);

		const receiver = receiveByMail(folders, siteA(site));
		const received = await run(receiver);
		expect(received.third).toEqual([]);
		expect(received.second).toEqual([]);
		expect(received.first).toHaveLength(3);
		expect(received.first.map((i) => [i.json.number, i.json.type, i.json.action])).toEqual(
			expect.arrayContaining([
				['20001', 'order', 'create'],
				['20002', 'quote', 'create'],
				['20003', 'order', 'create'],
			]),
		);
		for (const item of received.first) {
			expectSameDocument(item.json, docs.find((d) => d.number === item.json.number)!);
			expect(item.json.source).toMatchObject({ transport: 'email', folder: folders.inbox, movedTo: folders.archive, mail: { from: servers.users.carol.address } });
			expect(item.pairedItem).toEqual({ item: 0 });
			expectValidOpenTrans(item);
		}
		expect(await mailsIn(folders.inbox)).toEqual([]);
		expect(await mailsIn(folders.archive)).toHaveLength(3);

		// nothing is waiting any more: a second run finds nothing
		const again = await run(receiver);
		expect([again.first, again.second, again.third]).toEqual([[], [], []]);
	});

	it('one mail per run carries all documents of the run, with a subject that names the site and the documents', async () => {
		const site = `filiale-${token()}`;
		const sent = await run(
			exchange({ operation: 'send', transport: 'email', recipient: servers.users.bob.address, mailMode: 'perRun' }),
			items(threeDocuments(site)),
		);
		expect(new Set(sent.first.map((i) => i.json.messageId)).size).toBe(1);
		const folders = await freshMailFolders();
		await collectMails(site, 1, folders.inbox);
		const [mail] = await mailsIn(folders.inbox);
		expect(mail.subject).toBe(`[Order Exchange] ${site} 3 documents: ORDER 20001, QUOTATION 20002, ORDER 20003`);
		expect(mail.attachments).toHaveLength(3);

		const received = await run(receiveByMail(folders, siteA(site)));
		expect(numbers(received.first)).toEqual(['20001', '20002', '20003']);
		expect(await mailsIn(folders.archive)).toHaveLength(1);
	});



	it('site A writes three documents into a folder under a temporary name, and site B imports them and moves them to processed/', async () => {
		const site = `filiale-${token()}`;
		const docs = threeDocuments(site);
		const folder = localFolder();
		const sent = await run(sendToFolder(folder), items(docs));
		expect(sent.first.map((i) => i.json.path)).toEqual(docs.map((d) => path.join(folder, `${site}_${d.type === 'quote' ? 'QUOTATION' : 'ORDER'}_${String(d.number)}.xml`)));
		expect(ls(folder)).toHaveLength(3);
		sent.first.forEach(expectValidOpenTrans);

		const received = await run(receiveFromFolder(folder, siteA(site)));
		expect(received.third).toEqual([]);
		expect(numbers(received.first)).toEqual(['20001', '20003', '20002']);
		for (const item of received.first) expectSameDocument(item.json, docs.find((d) => d.number === item.json.number)!);
		expect(ls(folder)).toEqual(['processed']);
		expect(ls(path.join(folder, 'processed'))).toHaveLength(3);
	});
});

describe.each(FILE_SERVERS)('Order Exchange over %s: round trips between two sites', (over) => {
	const files = {
		directory: (label: string) => remoteDirectory(over, `ox-${over}-${label}`),
		credentials: { ...CREDENTIALS, backofficeFtpApi: n8nCredentialData(fileServerCredentials(over)) },
	};

	it('site A uploads three documents by FTP under a temporary name, and site B imports them and moves them to processed/', async () => {
		const site = `filiale-${token()}`;
		const docs = threeDocuments(site);
		const dir = files.directory('roundtrip');
		const names = namesAppearingIn(dir.local);
		const sent = await run(exchange({ operation: 'send', transport: 'ftp', remoteDirectory: dir.remote }), items(docs), files.credentials);
		expect(sent.first.map((i) => i.json.path)).toEqual([
			`${dir.remote}${site}_ORDER_20001.xml`,
			`${dir.remote}${site}_QUOTATION_20002.xml`,
			`${dir.remote}${site}_ORDER_20003.xml`,
		]);
		// renamed when complete: no temporary file is left behind
		expect(ls(dir.local)).toEqual([`${site}_ORDER_20001.xml`, `${site}_ORDER_20003.xml`, `${site}_QUOTATION_20002.xml`]);
		// each was written under a temporary name first: the other side never sees half a file under the real one
		const seen = await names.once(ls(dir.local));
		expect(ls(dir.local).filter((n) => !seen.includes(`${n}.part`))).toEqual([]);
		sent.first.forEach(expectValidOpenTrans);
		expect(readFileSync(path.join(dir.local, `${site}_ORDER_20001.xml`)).equals(xmlOf(sent.first[0]))).toBe(true);

		const receiver = exchange({
			operation: 'receive',
			transport: 'ftp',
			ftpDirectory: dir.remote,
			sites: siteA(site),
			receiveOptions: { uploadWaitSeconds: 0 },
		});
		const received = await run(receiver, undefined, files.credentials);
		expect(received.third).toEqual([]);
		expect(numbers(received.first)).toEqual(['20001', '20003', '20002']);
		for (const item of received.first) expectSameDocument(item.json, docs.find((d) => d.number === item.json.number)!);
		expect(received.first[0].json.source).toMatchObject({ transport: 'ftp', file: `${site}_ORDER_20001.xml`, movedTo: `${dir.remote}processed/${site}_ORDER_20001.xml` });
		expect(ls(dir.local)).toEqual(['processed']);
		expect(ls(path.join(dir.local, 'processed'))).toHaveLength(3);
	});

	it('with After Import "Delete the File" the imported files are deleted from the FTP directory', async () => {
		const site = `filiale-${token()}`;
		const dir = files.directory('delete');
		await run(exchange({ operation: 'send', transport: 'ftp', remoteDirectory: dir.remote }), items(threeDocuments(site).slice(0, 1)), files.credentials);
		const received = await run(
			exchange({ operation: 'receive', transport: 'ftp', ftpDirectory: dir.remote, afterImport: 'delete', sites: siteA(site), receiveOptions: { uploadWaitSeconds: 0 } }),
			undefined,
			files.credentials,
		);
		expect(numbers(received.first)).toEqual(['20001']);
		expect(received.first[0].json.source).toMatchObject({ deleted: true });
		expect(ls(dir.local)).toEqual([]);
	});
});

describe('Order Exchange: Receive rules', () => {
	it('receives the openTRANS ORDER samples from binary input; the second version of the same order renews the first', async () => {
		const receiver = exchange({
			operation: 'receive',
			transport: 'binary',
			sites: { site: [{ siteId: '123456', numberPrefix: 'ORDER_' }, { siteId: 'org.de.buyer', numberPrefix: 'order-id-' }] },
		});
		const received = await run(receiver, [
			binaryItem(fixture('order-itscope.xml'), 'order-itscope.xml'),
			binaryItem(fixture('order-minimal.xml'), 'order-minimal.xml'),
			binaryItem(fixture('order-minimal-with-address.xml'), 'order-minimal-with-address.xml'),
		]);
		expect(received.third).toEqual([]);
		expect(received.first.map((i) => [i.json.number, i.json.site, i.json.action, i.pairedItem])).toEqual([
			['ORDER_180801-004', '123456', 'create', { item: 0 }],
			['order-id-1', 'org.de.buyer', 'create', { item: 1 }],
			['order-id-1', 'org.de.buyer', 'update', { item: 2 }],
		]);
		expect(received.first[0].json).toMatchObject({
			type: 'order',
			customer: { customerNumber: '123456', name: 'ITscope GmbH' },
			lines: [{ articleNumber: '123002' }, { articleNumber: '123003' }, { articleNumber: '123001' }],
		});
		expect(received.first[2].json).toMatchObject({ customer: { name: 'Someone', name2: 'Else', zip: '98765', city: 'Somewhere' } });
		expect(received.first[2].json.previousContentHash).toBe(received.first[1].json.contentHash);
		expect(received.first[0].binary!.data.fileName).toBe('order-itscope.xml');
	});

	it('asks the record of received documents once for all binary items of a run, not once per item', async () => {
		const receiver = exchange({
			operation: 'receive',
			transport: 'binary',
			sites: { site: [{ siteId: '123456', numberPrefix: 'ORDER_' }, { siteId: 'org.de.buyer', numberPrefix: 'order-id-' }] },
		});
		expect((await run(receiver, [binaryItem(fixture('order-itscope.xml'), 'order-itscope.xml')])).first).toHaveLength(1);
		const before = processedDataCalls.checkProcessedAndRecord ?? 0;
		const second = await run(receiver, [
			binaryItem(fixture('order-minimal.xml'), 'order-minimal.xml'),
			binaryItem(fixture('order-itscope.xml'), 'order-itscope.xml'),
			binaryItem(fixture('order-minimal-with-address.xml'), 'order-minimal-with-address.xml'),
		]);
		expect(second.first.map((i) => [i.json.number, i.json.action])).toEqual([
			['order-id-1', 'create'],
			['order-id-1', 'update'],
		]);
		expect(second.second.map((i) => [i.json.number, i.json.reason])).toEqual([['ORDER_180801-004', 'duplicate']]);
		// the three items looked up in one read of n8n's database (no store call), one record when the execution
		// ended (asked per item by recording: four)
		expect((processedDataCalls.checkProcessedAndRecord ?? 0) - before).toBe(1);
	});

	it('ignores a resent document, renews a changed one as "update", or skips it when changes are set to be ignored', async () => {
		const site = `filiale-${token()}`;
		const docs = threeDocuments(site);
		const folder = localFolder();
		const receiver = receiveFromFolder(folder, siteA(site));

		await run(sendToFolder(folder), items(docs));
		expect(numbers((await run(receiver)).first)).toHaveLength(3);

		// the same three again: duplicates
		await run(sendToFolder(folder), items(docs));
		const resent = await run(receiver);
		expect(resent.first).toEqual([]);
		expect(resent.second.map((i) => [i.json.number, i.json.reason])).toEqual([
			['20001', 'duplicate'],
			['20003', 'duplicate'],
			['20002', 'duplicate'],
		]);
		expect(ls(path.join(folder, 'processed'))).toHaveLength(6);

		// one of them changed: renewed
		const changed = { ...docs[0], lines: [{ ...(docs[0].lines as IDataObject[])[0], quantity: '150' }] };
		await run(sendToFolder(folder), items([changed]));
		const renewed = await run(receiver);
		expect(renewed.first.map((i) => [i.json.number, i.json.action])).toEqual([['20001', 'update']]);
		expect((renewed.first[0].json.lines as IDataObject[])[0].quantity).toBe('150');

		// changed once more, with changes set to be ignored
		receiver.node(NODE).parameters.onChanged = 'ignore';
		await run(sendToFolder(folder), items([{ ...changed, remarks: 'bitte bis Freitag' }]));
		const ignored = await run(receiver);
		expect(ignored.first).toEqual([]);
		expect(ignored.second.map((i) => [i.json.number, i.json.reason])).toEqual([['20001', 'updateIgnored']]);
	});

	it('refuses a number outside its site’s range, an unknown site, and the same number from another site (conflict)', async () => {
		const a = `filiale-a-${token()}`;
		const c = `filiale-c-${token()}`;
		const folder = localFolder();
		const receiver = receiveFromFolder(folder, { site: [{ siteId: a, rangeFrom: '20000', rangeTo: '29999' }, { siteId: c }] });
		const order = threeDocuments(a)[0];

		await run(sendToFolder(folder), items([order, { ...order, number: '30001' }, { ...order, site: 'filiale-unbekannt' }]));
		const first = await run(receiver);
		expect(numbers(first.first)).toEqual(['20001']);
		expect(first.third.map((i) => [i.json.number, i.json.site, i.json.reason])).toEqual([
			['30001', a, 'numberOutOfRange'],
			['20001', 'filiale-unbekannt', 'unknownSite'],
		]);
		expect(first.third[0].json.message).toContain(`outside the number range of site "${a}" (20000–29999)`);
		expect(first.third.map((i) => (i.json.source as IDataObject).movedTo)).toEqual([
			path.join(folder, 'failed', `${a}_ORDER_30001.xml`),
			path.join(folder, 'failed', `filiale-unbekannt_ORDER_20001.xml`),
		]);
		expect(first.third[0].binary!.data.fileName).toBe(`${a}_ORDER_30001.xml`);

		// site C has no range of its own, but may not reuse a number that site A's order already has
		await run(sendToFolder(folder), items([{ ...order, site: c }]));
		const second = await run(receiver);
		expect(second.first).toEqual([]);
		expect(second.third.map((i) => [i.json.number, i.json.site, i.json.reason])).toEqual([['20001', c, 'conflict']]);
		expect(second.third[0].json.message).toContain(`already imported from site "${a}"`);
	});

	it('stops before reading anything when two sites’ number ranges overlap', async () => {
		const folder = localFolder();
		writeFileSync(path.join(folder, 'x.xml'), 'not read');
		const error = await runFails(
			receiveFromFolder(folder, { site: [{ siteId: 'a', rangeFrom: '20000', rangeTo: '29999' }, { siteId: 'b', rangeFrom: '29000', rangeTo: '39999' }] }),
		);
		expect(error.message).toContain('The number ranges of the sites "a" (20000–29999) and "b" (29000–39999) overlap');
		expect(ls(folder)).toEqual(['x.xml']);
	});

	it('does not read a half-written file in the folder: a temporary name, or a file that is still growing', async () => {
		const site = `filiale-${token()}`;
		const folder = localFolder();
		const [order] = await run(sendToFolder(localFolder()), items(threeDocuments(site).slice(0, 1))).then((o) => o.first);
		const xml = xmlOf(order);
		writeFileSync(path.join(folder, 'upload.xml.part'), xml);
		writeFileSync(path.join(folder, '.sync-tmp.xml'), xml);
		writeFileSync(path.join(folder, 'growing.xml'), xml.subarray(0, 200));
		let written = 200;
		const writer = setInterval(() => {
			appendFileSync(path.join(folder, 'growing.xml'), xml.subarray(written, written + 40));
			written += 40;
		}, 30);
		try {
			// every file name counts here, so that only the temporary-name rule keeps the .part file out
			const receiver = receiveFromFolder(folder, siteA(site), { receiveOptions: { uploadWaitSeconds: 0.4, fileNamePattern: '' } });
			const during = await run(receiver);
			expect([during.first, during.second, during.third]).toEqual([[], [], []]);
			expect(ls(folder)).toEqual(['.sync-tmp.xml', 'growing.xml', 'upload.xml.part']);
		} finally {
			clearInterval(writer);
		}
		// once complete (renamed, no longer growing), the next run reads it
		appendFileSync(path.join(folder, 'growing.xml'), xml.subarray(written));
		renameSync(path.join(folder, 'upload.xml.part'), path.join(folder, 'upload.xml'));
		const after = await run(receiveFromFolder(folder, siteA(site), { receiveOptions: { uploadWaitSeconds: 0.2 } }));
		expect(after.first.map((i) => [i.json.number, (i.json.source as IDataObject).file])).toEqual([['20001', 'growing.xml']]);
		expect(after.second.map((i) => [i.json.reason, (i.json.source as IDataObject).file])).toEqual([['duplicate', 'upload.xml']]);
		expect(ls(folder)).toEqual(['.sync-tmp.xml', 'processed']);
	});

	it('sends a broken file to Errors and the failed folder, and imports the good one beside it', async () => {
		const site = `filiale-${token()}`;
		const folder = localFolder();
		await run(sendToFolder(folder), items(threeDocuments(site).slice(0, 1)));
		writeFileSync(path.join(folder, 'kaputt.xml'), '<?xml version="1.0"?>\n<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1">\n<ORDER_HEADER>');
		const received = await run(receiveFromFolder(folder, siteA(site)));
		expect(numbers(received.first)).toEqual(['20001']);
		expect(received.third.map((i) => [i.json.reason, i.json.file])).toEqual([['parseError', 'kaputt.xml']]);
		expect(received.third[0].json.message).toMatch(/^kaputt\.xml: line 3/);
		expect(ls(path.join(folder, 'failed'))).toEqual(['kaputt.xml']);
		expect(ls(path.join(folder, 'processed'))).toEqual([`${site}_ORDER_20001.xml`]);
	});

	it('moves a mail with a broken attachment to the error folder whole, holding back its good document', async () => {
		const site = `filiale-${token()}`;
		const folder = localFolder();
		const [good] = (await run(sendToFolder(folder), items(threeDocuments(site).slice(0, 1)))).first;
		const folders = await freshMailFolders();
		const mail = await new MailComposer({
			from: servers.users.carol.address,
			to: servers.users.bob.address,
			subject: `[Order Exchange] ${site} 2 documents`,
			text: 'two documents',
			attachments: [
				{ filename: 'good.xml', content: xmlOf(good), contentType: 'application/xml' },
				{ filename: 'kaputt.xml', content: '<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"><ORDER_HEADER>', contentType: 'application/xml' },
			],
		})
			.compile()
			.build();
		await multiAppend(servers.users.bob, folders.inbox, [mail]);

		const received = await run(receiveByMail(folders, siteA(site)));
		expect(received.first).toEqual([]);
		expect(received.third).toHaveLength(1);
		expect(received.third[0].json).toMatchObject({
			reason: 'parseError',
			file: 'kaputt.xml',
			heldBack: ['ORDER 20001'],
			source: { transport: 'email', movedTo: folders.error },
		});
		expect(await mailsIn(folders.error)).toHaveLength(1);
		expect(await mailsIn(folders.inbox)).toEqual([]);
	});
});

describe('Order Exchange: Send', () => {
	it('refuses invoices and credit notes (Skipped, with the reason) and sends only the order', async () => {
		const site = `filiale-${token()}`;
		const [order] = threeDocuments(site);
		const folder = localFolder();
		const sent = await run(sendToFolder(folder), items([{ ...order, type: 'invoice', number: 'RE-1' }, order, { ...order, type: 'Gutschrift', number: 'GS-1' }]));
		expect(numbers(sent.first)).toEqual(['20001']);
		expect(sent.second.map((i) => [i.json.number, i.json.type, i.json.reason, i.pairedItem])).toEqual([
			['RE-1', 'invoice', 'notTransferable', { item: 0 }],
			['GS-1', 'creditNote', 'notTransferable', { item: 2 }],
		]);
		expect(sent.second[0].json.message).toBe('Invoices are never transferred between sites; only quotes and orders are');
		expect(ls(folder)).toEqual([`${site}_ORDER_20001.xml`]);
	});

	it('stops with an error that names the field when an item is no valid document, before anything is sent', async () => {
		const folder = localFolder();
		const [order] = threeDocuments('filiale-x');
		const error = await runFails(sendToFolder(folder), items([order, { ...order, lines: [{ description: 'Schraube', quantity: '1,5' }] }]));
		expect(error.message).toContain('lines[0].quantity');
		expect(ls(folder)).toEqual([]);
	});

	it('reports a folder that does not exist instead of creating it', async () => {
		const missing = path.join(localFolder(), 'Nextcloud-nicht-synchronisiert');
		const error = await runFails(sendToFolder(missing), items(threeDocuments('filiale-x').slice(0, 1)));
		expect(error.message).toContain(`The folder "${missing}" does not exist`);
		expect(existsSync(missing)).toBe(false);
	});
});

describe('Order Exchange: Match', () => {
	const book = [
		{ id: 'K1', name: 'Müller GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln', customerNumber: '10001' },
		{ id: 'K2', name: 'Meier', street: 'Lindenweg 12', zip: '80331', city: 'München' },
		{ id: 'K3', name: 'Schmitz', street: 'Gartenstraße 3', zip: '40210', city: 'Düsseldorf' },
		{ id: 'K4', name: 'Hans Weber', street: 'Ringstraße 7', zip: '70173', city: 'Stuttgart' },
	];
	const articles = ['SCHR-M6x40', 'BUCH-1', 'HZ-THERM-01'];

	function orderFor(name: string, street: string, zip: string, city: string, number: string): INodeExecutionData {
		const order: IDataObject = { ...threeDocuments('filiale-a')[0], number, customer: { name, street, zip, city } };
		delete order.delivery;
		return { json: { action: 'create', ...order } };
	}

	function matcher(similarAddress: string): RunnerWorkflow {
		return exchange({
			operation: 'match',
			// expressions that give lists, as an earlier node's output would
			articleNumbers: `={{ ${JSON.stringify(articles)} }}`,
			addressBook: `={{ ${JSON.stringify(book)} }}`,
			similarAddress,
		});
	}

	const candidate = (item: INodeExecutionData) => ((item.json.addressMatch as IDataObject).customer as IDataObject);

	it('finds Müller/Mueller/Möller and Meier/Mayer/Meyer as similar addresses, and scores Schmidt against Schmitz lower', async () => {
		const input = [
			orderFor('Mueller GmbH', 'Hauptstraße 5', '50667', 'Köln', '1'),
			orderFor('Möller GmbH', 'Hauptstr. 5', '50667', 'Köln', '2'),
			orderFor('Mayer', 'Lindenweg 12', '80331', 'München', '3'),
			orderFor('Meyer', 'Lindenweg 12', '80331', 'München', '4'),
			orderFor('Schmidt', 'Gartenstraße 3', '40210', 'Düsseldorf', '5'),
		];
		const { first: matched, second: review } = await run(matcher('ask'), input);
		expect(numbers(review)).toEqual(['1', '2', '3', '4']);
		const found = review.map((i) => [candidate(i).kind, candidate(i).decision, ((candidate(i).candidates as IDataObject[])[0]).id]);
		expect(found).toEqual([
			['similar', 'ask', 'K1'],
			['similar', 'ask', 'K1'],
			['similar', 'ask', 'K2'],
			['similar', 'ask', 'K2'],
		]);
		// the reasons a person sees: Mueller is Müller spelled out, the others sound alike (Kölner Phonetik 657, 67)
		expect(review.map((i) => ((candidate(i).candidates as IDataObject[])[0].reasons as string[])[0])).toEqual([
			'same name apart from spelling (umlauts, legal form, word order)',
			'name sounds alike (Kölner Phonetik 657)',
			'name sounds alike (Kölner Phonetik 67)',
			'name sounds alike (Kölner Phonetik 67)',
		]);
		for (const item of review) expect(item.json.customer).not.toHaveProperty('addressId');
		// Schmidt (862) and Schmitz (868) sound different: a lower score, not offered as the same customer
		expect(numbers(matched)).toEqual(['5']);
		const schmidt = candidate(matched[0]);
		expect(schmidt).toMatchObject({ kind: 'none', decision: 'new' });
		const lowestSimilar = Math.min(...review.map((i) => candidate(i).score as number));
		expect(schmidt.score as number).toBeLessThan(lowestSimilar);
		expect(schmidt.score as number).toBeLessThan(0.8);
		expect(matched.map((i) => i.pairedItem)).toEqual([{ item: 4 }]);
		expect(review.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
	});

	it('links an exact address, keeps an unknown one as new, and keeps a line with an unknown article without the link', async () => {
		const input = [orderFor('Müller GmbH', 'Hauptstr. 5', '50667', 'Köln', '10'), orderFor('Neukunde AG', 'Industriestraße 99', '01067', 'Dresden', '11')];
		const { first: matched, second: review } = await run(matcher('ask'), input);
		expect(review).toEqual([]);
		expect(matched[0].json.customer).toMatchObject({ name: 'Müller GmbH', addressId: 'K1' });
		expect(candidate(matched[0])).toMatchObject({ kind: 'exact', decision: 'linked', addressId: 'K1', score: 1 });
		expect(candidate(matched[1])).toMatchObject({ kind: 'none', decision: 'new', candidates: [] });
		expect(matched[1].json.customer).not.toHaveProperty('addressId');

		// sampleOrder's lines: SCHR-M6x40 and BUCH-1 are known, KAB-NYM-3x1.5 is not, line 3 has no article
		const lines = matched[0].json.lines as IDataObject[];
		expect(lines.map((l) => [l.articleNumber, l.articleLinked])).toEqual([
			['SCHR-M6x40', true],
			['KAB-NYM-3x1.5', false],
			[undefined, false],
			['BUCH-1', true],
		]);
		expect(lines[1]).toMatchObject({ description: 'Mantelleitung NYM-J 3×1,5 mm²', quantity: '25.5', netPrice: '1.05' });
		expect(matched[0].json.unlinkedArticles).toEqual(['KAB-NYM-3x1.5']);
	});

	it('"use existing" links a similar address to the best candidate, "use imported" keeps it as a new address', async () => {
		const input = [orderFor('Mueller GmbH', 'Hauptstraße 5', '50667', 'Köln', '20')];
		const existing = await run(matcher('useExisting'), input);
		expect(existing.second).toEqual([]);
		expect(existing.first[0].json.customer).toMatchObject({ addressId: 'K1' });
		expect(candidate(existing.first[0])).toMatchObject({ kind: 'similar', decision: 'useExisting', addressId: 'K1' });

		const imported = await run(matcher('useImported'), input);
		expect(imported.second).toEqual([]);
		expect(imported.first[0].json.customer).not.toHaveProperty('addressId');
		expect(candidate(imported.first[0])).toMatchObject({ kind: 'similar', decision: 'useImported' });
	});

	it('matches what Receive emitted, end to end: received orders go through Match in one workflow', async () => {
		const site = `filiale-${token()}`;
		const folder = localFolder();
		await run(sendToFolder(folder), items(threeDocuments(site)));
		const workflow = new RunnerWorkflow({
			nodes: [
				{
					id: 'receive',
					name: 'Receive',
					type: 'n8n-nodes-backoffice.orderExchange',
					typeVersion: 1,
					position: [0, 0],
					parameters: { operation: 'receive', transport: 'folder', inputFolder: folder, sites: siteA(site), receiveOptions: { uploadWaitSeconds: 0 } },
				},
				{
					id: 'match',
					name: 'Match',
					type: 'n8n-nodes-backoffice.orderExchange',
					typeVersion: 1,
					position: [200, 0],
					parameters: {
						operation: 'match',
						articleNumbers: articles.join(', '),
						addressBook: `={{ ${JSON.stringify([...book, { id: 'K9', name: 'Baeckerei Meier', street: 'Lindenweg 12', zip: '80331', city: 'München' }])} }}`,
						similarAddress: 'ask',
					},
				},
			],
			connections: { Receive: { main: [[{ node: 'Match', type: 'main', index: 0 }]] } },
		});
		const result = await workflow.run('Receive', { credentials: CREDENTIALS });
		expect(result.error).toBeUndefined();
		const matched = result.output('Match', 0);
		const review = result.output('Match', 1);
		// 20003's customer "Bäckerei Meier" is "Baeckerei Meier" in the book: similar, so a person decides
		expect(numbers(review)).toEqual(['20003']);
		expect(numbers(matched).sort()).toEqual(['20001', '20002']);
		expect(matched.every((i) => i.binary?.data)).toBe(true);
	});
});
