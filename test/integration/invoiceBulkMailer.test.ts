/**
 * The Invoice Bulk Mailer run by n8n's own engine against the real servers: mails go through Postfix
 * (submission port, STARTTLS + AUTH) into Dovecot and are read back over IMAP. Customers' addresses are
 * outside backoffice.test, so Postfix delivers them all into the catch-all mailbox sink@backoffice.test (the
 * To: header stays the customer's); each test marks its subjects with a token of its own and reads only
 * those. The Postfix access table answers defer@example.com with 450 and reject@example.com with 550; the
 * 4xx test adds and removes a line of its own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { simpleParser, type ParsedMail } from 'mailparser';
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { PDFDocument, StandardFonts } from 'pdf-lib';

import { DEFAULT_TEXT } from '../../nodes/InvoiceBulkMailer/description';
import { renderInvoicePdf } from '../../nodes/shared/documents/invoices';
import { withImapClient } from '../../nodes/shared/transports/imap';
import { imapCredentialsFor, loadServers, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { SmtpProxy, type SmtpCutPoint } from '../helpers/smtpProxy';
import { RunnerWorkflow } from '../helpers/workflowRunner';
import { CII_XSD, EN16931_XSLT, FACTURX_XSD, XRECHNUNG_XSLT, detach, fatal, keep, qpdfCheck, schematron, xsdErrors } from '../unit/einvoice/validators';

const RUN = `IBM${Date.now().toString(36)}`;
let sequence = 0;
/** A token unique to one test (and one jest run): it goes into subjects, addresses and invoice numbers. */
const newToken = () => `${RUN}x${++sequence}`;

const SELLER = {
	name: 'Bäckerei Weiß & Söhne GmbH',
	street: 'Hauptstraße 5',
	zip: '50667',
	city: 'Köln',
	country: 'DE',
	vatId: 'DE123456789',
	email: 'buchhaltung@baeckerei-weiss.de',
	iban: 'DE89370400440532013000',
	bic: 'COBADEFFXXX',
	bankName: 'Commerzbank Köln',
};

interface Customer {
	number: string;
	name: string;
	email?: string;
	invoiceByPost?: boolean | string;
	street?: string;
	zip?: string;
	city?: string;
	country?: string;
	vatId?: string;
	/** the Leitweg-ID for XRechnung */
	buyerReference?: string;
}

/** An invoice item as an ERP would hand it over, in the node's default field names; numbers as JSON numbers. */
function invoiceJson(invoiceNumber: string, customer: Customer, extra: IDataObject = {}): IDataObject {
	return {
		invoiceNumber,
		invoiceDate: '2025-03-14',
		deliveryDate: '2025-03-12',
		dueDate: '2025-03-28',
		currency: 'EUR',
		paymentTerms: 'Zahlbar innerhalb von 14 Tagen ohne Abzug.',
		customer: { street: 'Lindenallee 17', zip: '80331', city: 'München', country: 'DE', ...customer },
		lines: [
			{ description: 'Größenänderung Festtagstorte', quantity: 1, unit: 'Stk', netUnitPrice: 89.5, vatRate: 7 },
			{ description: 'Lieferung und Aufbau vor Ort', quantity: '2.5', unit: 'Std', netUnitPrice: '48.00', vatRate: '19' },
		],
		// 89.50 × 7 % = 6.27 (6.265 rounded), 120.00 × 19 % = 22.80: 209.50 net + 29.07 VAT
		grossTotal: '238.57',
		...extra,
	} as IDataObject;
}

function mailer(token: string, parameters: INodeParameters = {}, options: IDataObject = {}): RunnerWorkflow {
	const node: INode = {
		id: 'Mailer',
		name: 'Mailer',
		type: 'n8n-nodes-backoffice.invoiceBulkMailer',
		typeVersion: 1,
		position: [0, 0],
		parameters: {
			operation: 'sendInvoices',
			mailSubject: `Ihre Rechnung {{#each invoices}}{{number}}{{#unless @last}}, {{/unless}}{{/each}} für {{customer.name}} ${token}`,
			mailText: DEFAULT_TEXT,
			seller: { details: SELLER },
			...parameters,
			options: { retryDelaySeconds: 0.5, ...options },
		},
		credentials: {},
	};
	return new RunnerWorkflow({ nodes: [node], connections: {} });
}

const credentials = () => ({ backofficeSmtpApi: n8nCredentialData(smtpCredentialsFor('alice')) });

async function run(workflow: RunnerWorkflow, jsons: IDataObject[] | INodeExecutionData[]) {
	const input = (jsons as Array<IDataObject | INodeExecutionData>).map((j) =>
		'json' in j && typeof j.json === 'object' ? (j as INodeExecutionData) : { json: j as IDataObject },
	);
	const result = await workflow.run('Mailer', { credentials: credentials(), input: [input] });
	return {
		result,
		sent: () => result.output('Mailer', 0),
		skipped: () => result.output('Mailer', 1),
		failed: () => result.output('Mailer', 2),
	};
}

/** The mails in the catch-all mailbox whose subject carries `token`; waits until `count` have arrived. */
async function mailsWith(token: string, count: number, timeoutMs = 30_000): Promise<ParsedMail[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = await withImapClient(imapCredentialsFor('sink'), async (client) => {
			await client.mailboxOpen('INBOX');
			const uids = (await client.search({ subject: token }, { uid: true })) || [];
			if (uids.length < count && Date.now() < deadline) return undefined;
			const mails: ParsedMail[] = [];
			if (!uids.length) return mails;
			for await (const message of client.fetch(uids, { source: true }, { uid: true })) {
				if (message.source) mails.push(await simpleParser(message.source));
			}
			return mails;
		});
		if (found) return found;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** How many mails with `token` arrived, once Postfix has delivered everything it accepted (no mail incoming or active). */
async function countAfterQuiet(token: string): Promise<number> {
	const config = path.join(loadServers().dir, 'postfix/etc');
	const deadline = Date.now() + 60_000;
	const inFlight = () =>
		execFileSync('/usr/sbin/postqueue', ['-c', config, '-j'], { encoding: 'utf8' })
			.split('\n')
			.filter((line) => /"queue_name": ?"(incoming|active)"/.test(line)).length;
	while (inFlight() > 0) {
		if (Date.now() > deadline) throw new Error('Postfix still delivers after 60 s');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return (await mailsWith(token, 0, 0)).length;
}

const recipientsOf = (mail: ParsedMail) =>
	(Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((to) => to.value.map((v) => v.address ?? ''));

function pdfText(bytes: Buffer): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'ibm-pdf-'));
	try {
		const file = path.join(dir, 'invoice.pdf');
		writeFileSync(file, bytes);
		const result = spawnSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
		if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr}`);
		return result.stdout;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

// ------------------------------------------------------------------------------------------- the Postfix access table

const SCRIPT = path.join(__dirname, '../../scripts/test-servers.sh');

function accessTable(change: (lines: string[]) => string[]): void {
	const file = loadServers().smtp.accessTable;
	// read right before writing: other test files may edit their own lines of the same table
	const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
	writeFileSync(file, `${change(lines).join('\n')}\n`);
	execFileSync('bash', [SCRIPT, 'reload-postfix'], { stdio: 'ignore' });
}

async function waitForLog(pattern: string, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (readFileSync(loadServers().smtp.log, 'utf8').includes(pattern)) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`Postfix never logged ${pattern}`);
}

describe('Invoice Bulk Mailer: Send Invoices through Postfix into Dovecot', () => {
	it('mails each customer one message to their address, with one PDF per invoice named by its number, whose text shows number, lines and totals', async () => {
		const token = newToken();
		const müßig = { number: 'K-1001', name: 'Jürgen Müßig GmbH', email: `kunde-a-${token}@example.com` };
		const ängel = { number: 'K-1002', name: 'Café Ängelholm', email: `kunde-b-${token}@example.com` };
		const { sent, skipped, failed } = await run(mailer(token), [
			invoiceJson(`RÜ-${token}-1`, müßig),
			invoiceJson(`RE-${token}-2`, ängel),
			invoiceJson(`RÜ-${token}-3`, müßig),
		]);

		expect(failed()).toEqual([]);
		expect(skipped()).toEqual([]);
		expect(sent().map((item) => [item.json.invoiceNumbers, item.json.recipient, item.pairedItem])).toEqual([
			[[`RÜ-${token}-1`, `RÜ-${token}-3`], müßig.email, [{ item: 0 }, { item: 2 }]],
			[[`RE-${token}-2`], ängel.email, [{ item: 1 }]],
		]);
		expect(sent()[0].json.response).toMatch(/^250 /);
		expect(sent()[0].json.messageId).toMatch(/^<.+@backoffice\.test>$/);

		const mails = await mailsWith(token, 2);
		expect(mails).toHaveLength(2);
		const toMüßig = mails.find((m) => recipientsOf(m).includes(müßig.email));
		const toÄngel = mails.find((m) => recipientsOf(m).includes(ängel.email));
		expect(recipientsOf(toMüßig!)).toEqual([müßig.email]);
		expect(toMüßig!.subject).toBe(`Ihre Rechnung RÜ-${token}-1, RÜ-${token}-3 für Jürgen Müßig GmbH ${token}`);
		expect(toMüßig!.from?.value[0].address).toBe('alice@backoffice.test');
		expect(toMüßig!.text).toContain('Guten Tag Jürgen Müßig GmbH,');
		expect(toMüßig!.text).toContain(`- RÜ-${token}-1 vom 14.03.2025 über 238,57 €, fällig am 28.03.2025`);
		expect(toMüßig!.attachments.map((a) => [a.filename, a.contentType])).toEqual([
			[`RÜ-${token}-1.pdf`, 'application/pdf'],
			[`RÜ-${token}-3.pdf`, 'application/pdf'],
		]);
		expect(toÄngel!.attachments.map((a) => a.filename)).toEqual([`RE-${token}-2.pdf`]);

		const text = pdfText(toMüßig!.attachments[1].content);
		expect(text).toContain(`RÜ-${token}-3`);
		expect(text).toContain('Jürgen Müßig GmbH');
		expect(text).toContain('Größenänderung Festtagstorte');
		expect(text).toContain('Lieferung und Aufbau vor Ort');
		expect(text).toMatch(/2,5 +Stunde +48,00 +19 % +120,00/);
		expect(text).toMatch(/Summe netto +209,50 €/);
		expect(text).toMatch(/19 % USt\. auf 120,00 € +22,80 €/);
		expect(text).toMatch(/7 % USt\. auf 89,50 € +6,27 €/);
		expect(text).toMatch(/Gesamtbetrag +238,57 €/);
		expect(text).toContain('DE123456789');
	});

	it('puts by-post, no-e-mail and invalid-e-mail customers on Skipped with their reason, and mails only the others', async () => {
		const token = newToken();
		const { sent, skipped, failed } = await run(mailer(token), [
			invoiceJson(`RE-${token}-1`, { number: 'K-1', name: 'Post GmbH', email: `post-${token}@example.com`, invoiceByPost: 'ja' }),
			invoiceJson(`RE-${token}-2`, { number: 'K-2', name: 'Ohne Mail KG' }),
			invoiceJson(`RE-${token}-3`, { number: 'K-3', name: 'Tippfehler AG', email: 'rechnung(at)tippfehler.example' }),
			invoiceJson(`RE-${token}-4`, { number: 'K-4', name: 'Mail GmbH', email: `mail-${token}@example.com` }),
		]);
		expect(failed()).toEqual([]);
		expect(skipped().map((item) => [item.json.invoiceNumber, item.json.reason, item.pairedItem])).toEqual([
			[`RE-${token}-1`, 'invoice by post', { item: 0 }],
			[`RE-${token}-2`, 'no e-mail', { item: 1 }],
			[`RE-${token}-3`, 'invalid e-mail', { item: 2 }],
		]);
		expect(skipped()[2].json.message).toContain('rechnung(at)tippfehler.example');
		expect(sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-4`]]);
		const mails = await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
		expect(recipientsOf(mails[0])).toEqual([`mail-${token}@example.com`]);
	});

	it('puts an invoice that lacks §14 data on Failed naming the input field, and still mails the customer’s other invoice', async () => {
		const token = newToken();
		const customer = { number: 'K-7', name: 'Lückenhaft GmbH', email: `luecke-${token}@example.com` };
		const { sent, failed } = await run(mailer(token), [
			invoiceJson(`RE-${token}-1`, customer),
			invoiceJson(`RE-${token}-2`, { ...customer, street: '' }),
			invoiceJson(`RE-${token}-3`, customer, { lines: [{ description: 'Brezeln', quantity: '3', unit: 'Stk', netUnitPrice: '0.80' }] }),
		]);
		expect(failed().map((item) => [item.json.invoiceNumber, item.json.code, item.json.field, item.pairedItem])).toEqual([
			[`RE-${token}-2`, 'MISSING_FIELD', 'customer.street', { item: 1 }],
			[`RE-${token}-3`, 'MISSING_FIELD', 'lines[1].vatRate', { item: 2 }],
		]);
		expect(failed()[0].json.message).toMatch(/street/);
		expect(sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-1`]]);
		const [mail] = await mailsWith(token, 1);
		expect(mail.attachments.map((a) => a.filename)).toEqual([`RE-${token}-1.pdf`]);
	});

	it('retries a recipient that Postfix defers with 450 and sends the mail once the deferral is lifted', async () => {
		const token = newToken();
		const address = `later-${token}@example.com`;
		accessTable((lines) => [...lines, `${address} 450 4.2.1 Mailbox busy, try again later`]);
		try {
			const workflow = mailer(token, {}, { retries: 3, retryDelaySeconds: 2 });
			const running = run(workflow, [invoiceJson(`RE-${token}-1`, { number: 'K-9', name: 'Später GmbH', email: address })]);
			// the first attempt was refused: lift the deferral before the retry comes
			await waitForLog(`450 4.2.1 <${address}>`);
			accessTable((lines) => lines.filter((line) => !line.startsWith(`${address} `)));
			const { sent, failed } = await running;
			expect(failed()).toEqual([]);
			expect(sent()).toHaveLength(1);
			expect(sent()[0].json.attempts).toBeGreaterThanOrEqual(2);
			expect(sent()[0].json.accepted).toEqual([address]);
			const mails = await mailsWith(token, 1);
			expect(await countAfterQuiet(token)).toBe(1);
			expect(recipientsOf(mails[0])).toEqual([address]);
		} finally {
			accessTable((lines) => lines.filter((line) => !line.startsWith(`${address} `)));
		}
	});

	it('reports a recipient still deferred after the retries on Failed with code 450, the server response and the attempts', async () => {
		const token = newToken();
		const { sent, failed } = await run(mailer(token, {}, { retries: 2, retryDelaySeconds: 0.2 }), [
			invoiceJson(`RE-${token}-1`, { number: 'K-11', name: 'Immer Beschäftigt AG', email: 'defer@example.com' }),
		]);
		expect(sent()).toEqual([]);
		expect(failed()).toHaveLength(1);
		expect(failed()[0].json).toMatchObject({
			invoiceNumbers: [`RE-${token}-1`],
			recipient: 'defer@example.com',
			code: 450,
			temporary: true,
			attempts: 3,
			command: 'RCPT TO',
		});
		expect(failed()[0].json.response).toMatch(/^450 4\.2\.1 <defer@example\.com>: Recipient address rejected: Mailbox busy/);
		expect(failed()[0].pairedItem).toEqual([{ item: 0 }]);
	});

	it('reports a recipient Postfix rejects with 550 on Failed at once, and mails the other customers', async () => {
		const token = newToken();
		const { sent, failed } = await run(mailer(token), [
			invoiceJson(`RE-${token}-1`, { number: 'K-12', name: 'Gibt Es Nicht GmbH', email: 'reject@example.com' }),
			invoiceJson(`RE-${token}-2`, { number: 'K-13', name: 'Gibt Es GmbH', email: `da-${token}@example.com` }),
		]);
		expect(failed().map((item) => item.json)).toEqual([
			expect.objectContaining({ invoiceNumbers: [`RE-${token}-1`], code: 550, temporary: false, attempts: 1 }),
		]);
		expect(failed()[0].json.response).toMatch(/^550 5\.1\.1 <reject@example\.com>/);
		expect(sent().map((item) => item.json.recipient)).toEqual([`da-${token}@example.com`]);
		await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
	});

	it('mails nobody twice when the workflow runs again, reports the invoices as already sent, and mails again only with Send Again', async () => {
		const token = newToken();
		const workflow = mailer(token);
		const items = [
			invoiceJson(`RE-${token}-1`, { number: 'K-21', name: 'Erste GmbH', email: `erste-${token}@example.com` }),
			invoiceJson(`RE-${token}-2`, { number: 'K-22', name: 'Zweite GmbH', email: 'reject@example.com' }),
		];
		const first = await run(workflow, items);
		expect(first.sent()).toHaveLength(1);
		expect(first.failed()).toHaveLength(1);
		await mailsWith(token, 1);

		// the second customer's address was corrected: the re-run mails only that customer
		items[1] = invoiceJson(`RE-${token}-2`, { number: 'K-22', name: 'Zweite GmbH', email: `zweite-${token}@example.com` });
		const second = await run(workflow, items);
		expect(second.skipped().map((item) => [item.json.invoiceNumber, item.json.reason, item.json.contentChanged])).toEqual([
			[`RE-${token}-1`, 'already sent', false],
		]);
		expect(second.sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-2`]]);

		const third = await run(workflow, items);
		expect(third.sent()).toEqual([]);
		expect(third.skipped().map((item) => item.json.reason)).toEqual(['already sent', 'already sent']);
		await mailsWith(token, 2);
		expect(await countAfterQuiet(token)).toBe(2);

		workflow.node('Mailer').parameters.options = { retryDelaySeconds: 0.5, sendAgain: true };
		const fourth = await run(workflow, [items[0]]);
		expect(fourth.sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-1`]]);
		await mailsWith(token, 3);
	});

	it('mails 200 customers in one run, each exactly once', async () => {
		const token = newToken();
		const items = Array.from({ length: 200 }, (_, i) =>
			invoiceJson(`RE-${token}-${i + 1}`, { number: `K-${i + 1}`, name: `Kunde ${i + 1} Müller`, email: `kunde${i + 1}-${token}@example.com` }),
		);
		const started = Date.now();
		const { sent, skipped, failed } = await run(mailer(token, {}, { maxConnections: 4 }), items);
		const seconds = (Date.now() - started) / 1000;
		expect(failed()).toEqual([]);
		expect(skipped()).toEqual([]);
		expect(sent()).toHaveLength(200);
		expect(sent().map((item) => item.pairedItem)).toEqual(items.map((_, i) => [{ item: i }]));
		const mails = await mailsWith(token, 200, 60_000);
		const recipients = mails.flatMap(recipientsOf).sort();
		expect(recipients).toEqual(items.map((_, i) => `kunde${i + 1}-${token}@example.com`).sort());
		process.stdout.write(`200 invoices mailed in ${seconds.toFixed(1)} s (${(200 / seconds).toFixed(1)} mails/s, PDFs included)\n`);
	});

	it('sends nothing in a dry run and returns each mail as an .eml file with its PDFs', async () => {
		const token = newToken();
		const workflow = mailer(token, { dryRun: true }, { bcc: 'admin@backoffice.test' });
		const customer = { number: 'K-31', name: 'Probe & Söhne', email: `probe-${token}@example.com` };
		const { sent, result } = await run(workflow, [invoiceJson(`RÄ-${token}-1`, customer), invoiceJson(`RÄ-${token}-2`, customer)]);
		expect(result.error).toBeUndefined();
		expect(sent()).toHaveLength(1);
		const [item] = sent();
		expect(item.json).toMatchObject({ dryRun: true, recipient: customer.email, invoiceNumbers: [`RÄ-${token}-1`, `RÄ-${token}-2`] });
		expect(item.binary?.mail).toMatchObject({ mimeType: 'message/rfc822', fileName: `K-31 RÄ-${token}-1 +1.eml` });
		expect(item.binary?.attachment_1).toMatchObject({ mimeType: 'application/pdf', fileName: `RÄ-${token}-1.pdf` });
		expect(item.binary?.attachment_2).toMatchObject({ fileName: `RÄ-${token}-2.pdf` });

		const eml = await simpleParser(Buffer.from(item.binary!.mail.data, 'base64'));
		expect(eml.subject).toBe(`Ihre Rechnung RÄ-${token}-1, RÄ-${token}-2 für Probe & Söhne ${token}`);
		expect(recipientsOf(eml)).toEqual([customer.email]);
		expect(eml.bcc).toMatchObject({ value: [{ address: 'admin@backoffice.test' }] });
		expect(eml.attachments.map((a) => a.filename)).toEqual([`RÄ-${token}-1.pdf`, `RÄ-${token}-2.pdf`]);
		expect(pdfText(eml.attachments[0].content)).toContain(`RÄ-${token}-1`);
		expect(await countAfterQuiet(token)).toBe(0);
		expect(workflow.staticData['node:Mailer']).not.toHaveProperty('sentInvoices');

		// nothing was noted as sent: the real run afterwards mails the invoices
		workflow.node('Mailer').parameters.dryRun = false;
		const real = await run(workflow, [invoiceJson(`RÄ-${token}-1`, customer), invoiceJson(`RÄ-${token}-2`, customer)]);
		expect(real.sent().map((i) => i.json.accepted)).toEqual([[customer.email, 'admin@backoffice.test']]);
		const [mail] = await mailsWith(token, 1);
		expect(mail.headers.has('bcc')).toBe(false);
	});

	it('stops before sending anything when the mail template is missing, saying so', async () => {
		const token = newToken();
		const { result } = await run(mailer(token, { mailSubject: '' }), [
			invoiceJson(`RE-${token}-1`, { number: 'K-41', name: 'Vorlage GmbH', email: `vorlage-${token}@example.com` }),
		]);
		expect(result.error?.message).toBe('No mail template: the subject is empty. Nothing was sent.');

		const noBody = await run(mailer(token, { mailText: '  ', mailHtml: '' }), [
			invoiceJson(`RE-${token}-2`, { number: 'K-41', name: 'Vorlage GmbH', email: `vorlage-${token}@example.com` }),
		]);
		expect(noBody.result.error?.message).toMatch(/No mail template: the text \(or HTML\) is empty/);
		expect(await countAfterQuiet(token)).toBe(0);
	});

	it('stops before sending anything when the seller data lack the VAT ID and tax number, naming them', async () => {
		const token = newToken();
		const { result } = await run(mailer(token, { seller: { details: { ...SELLER, vatId: '' } } }), [
			invoiceJson(`RE-${token}-1`, { number: 'K-43', name: 'Verkäufer GmbH', email: `verkaeufer-${token}@example.com` }),
		]);
		expect(result.error?.message).toMatch(/^Seller data: the seller's VAT ID \(seller\.vatId\) or tax number \(seller\.taxNumber\) .* is missing\. Nothing was sent\.$/);
	});

	it('sends nothing while the seller data still hold a template placeholder: "Set your company data"', async () => {
		const token = newToken();
		const { result } = await run(mailer(token, { seller: { details: { ...SELLER, name: '<your company name>' } } }), [
			invoiceJson(`RE-${token}-1`, { number: 'K-44', name: 'Platzhalter GmbH', email: `platzhalter-${token}@example.com` }),
		]);
		expect(result.error?.message).toBe('Set your company data: Seller still holds the template\'s "<your company name>" (name). Nothing was sent.');
		expect(await countAfterQuiet(token)).toBe(0);
	});

	it('refuses a template field that n8n switched to Expression mode, before sending anything', async () => {
		const token = newToken();
		const { result } = await run(mailer(token, { mailSubject: `=Rechnung {{customer.name}} ${token}` }), [
			invoiceJson(`RE-${token}-1`, { number: 'K-42', name: 'Ausdruck GmbH', email: `ausdruck-${token}@example.com` }),
		]);
		expect(result.error?.message).toMatch(/Subject field is in Expression mode/);
	});

	it('cannot be made to add headers or recipients through customer data', async () => {
		const token = newToken();
		const { sent, skipped } = await run(mailer(token, { mailHtml: '<p>Guten Tag {{customer.name}}</p>' }), [
			invoiceJson(`RE-${token}-1`, {
				number: 'K-51',
				name: `Böse GmbH\r\nBcc: evil-${token}@example.com\r\nX-Injected: yes`,
				email: `boese-${token}@example.com`,
			}),
			invoiceJson(`RE-${token}-2`, { number: 'K-52', name: 'Trick KG', email: `trick-${token}@example.com\r\nBcc: evil-${token}@example.com` }),
		]);
		expect(skipped().map((item) => item.json.reason)).toEqual(['invalid e-mail']);
		expect(sent()).toHaveLength(1);
		expect(sent()[0].json.accepted).toEqual([`boese-${token}@example.com`]);
		const [mail] = await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
		expect(mail.headers.has('x-injected')).toBe(false);
		expect(mail.headers.has('bcc')).toBe(false);
		expect(mail.subject).toBe(`Ihre Rechnung RE-${token}-1 für Böse GmbH Bcc: evil-${token}@example.com X-Injected: yes ${token}`);
		expect(mail.html).toContain('<p>Guten Tag Böse GmbH');
	});

	it('attaches the ready-made PDF of each item when the PDF comes from a binary property, one mail per invoice when not grouped', async () => {
		const token = newToken();
		const customer = { number: 'K-61', name: 'Fertig GmbH', email: `fertig-${token}@example.com` };
		const items: INodeExecutionData[] = [];
		for (const n of [1, 2]) {
			const json = invoiceJson(`RE-${token}-${n}`, customer);
			const pdf = await renderInvoicePdf({
				number: `RE-${token}-${n}`,
				type: 'invoice',
				issueDate: '2025-03-14',
				deliveryDate: '2025-03-14',
				seller: { ...SELLER },
				buyer: { name: 'Fertig GmbH', street: 'Weg 1', zip: '10115', city: 'Berlin' },
				lines: [{ description: `Fertiges PDF ${n}`, quantity: '1', unit: 'C62', netUnitPrice: '200.47', vatRate: '19' }],
			});
			delete json.lines;
			json.grossTotal = '238.56';
			items.push({ json, binary: { data: { data: Buffer.from(pdf).toString('base64'), mimeType: 'application/pdf', fileName: 'x.pdf' } } });
		}
		items.push({ json: invoiceJson(`RE-${token}-3`, customer) });
		const { sent, failed } = await run(mailer(token, { pdfSource: 'binary', groupPerCustomer: false }), items);
		expect(failed().map((item) => [item.json.invoiceNumber, item.json.code])).toEqual([[`RE-${token}-3`, 'NO_PDF']]);
		expect(sent().map((item) => [item.json.invoiceNumbers, item.json.invoices])).toEqual([
			[[`RE-${token}-1`], [{ number: `RE-${token}-1`, grossTotal: '238.56', currency: 'EUR' }]],
			[[`RE-${token}-2`], [{ number: `RE-${token}-2`, grossTotal: '238.56', currency: 'EUR' }]],
		]);
		const mails = await mailsWith(token, 2);
		const texts = mails.map((m) => pdfText(m.attachments[0].content)).sort();
		expect(texts[0]).toContain('Fertiges PDF 1');
		expect(texts[1]).toContain('Fertiges PDF 2');
	});

	// ------------------------------------------------------------------------------------------- e-invoices

	/** The seller as XRechnung needs it: contact name, e-mail and phone besides the §14 data. */
	const EINVOICE_SELLER = { ...SELLER, phone: '+49 221 123456', contactName: 'Grete Weiß' };
	/** A Leitweg-ID as German public authorities publish them. */
	const LEITWEG_ID = '05315-12345678-06';

	/** The Failed item's essentials, for comparing whole lists. */
	const failure = (item: INodeExecutionData) => [item.json.invoiceNumber, item.json.code, item.json.field, item.json.rule];

	/** Schematron results of several XML files, reporting only what would stop a receiver: fatal assertions. */
	function fatalAssertions(paths: string[], xslt: string): Record<string, string[]> {
		const reports = schematron(paths, xslt);
		return Object.fromEntries(paths.map((p) => [path.basename(p), fatal(reports.get(p) ?? []).map((a) => `${a.id}: ${a.text}`)]));
	}

	it('mails Factur-X invoices whose PDF carries a factur-x.xml that passes the CII schema and the EN 16931 schematron', async () => {
		const token = newToken();
		const müßig = { number: 'K-2001', name: 'Jürgen Müßig GmbH', email: `fx-a-${token}@example.com; fx-b-${token}@example.com` };
		const alpen = { number: 'K-2002', name: 'Alpenbau Innsbruck GmbH', email: `fx-c-${token}@example.com`, country: 'AT', zip: '6020', city: 'Innsbruck', vatId: 'ATU12345678' };
		const { sent, failed } = await run(mailer(token, { eInvoice: 'facturx', seller: { details: EINVOICE_SELLER }, fields: { lineVatCategory: 'steuer' } }), [
			invoiceJson(`RE-${token}-1`, müßig),
			// a reverse charge, its category in the field the user mapped (lower case is as clear as upper case)
			invoiceJson(`RE-${token}-2`, alpen, {
				lines: [{ description: 'Montage Backofenanlage', quantity: 16, unit: 'Std', netUnitPrice: '72.50', vatRate: 0, steuer: 'ae' }],
				grossTotal: '1160.00',
			}),
		]);
		expect(failed()).toEqual([]);
		expect(sent().map((item) => [item.json.invoiceNumbers, item.json.eInvoice])).toEqual([
			[[`RE-${token}-1`], 'facturx'],
			[[`RE-${token}-2`], 'facturx'],
		]);

		const mails = await mailsWith(token, 2);
		const byNumber = new Map(mails.map((mail) => [mail.attachments[0]?.filename, mail]));
		const xmlPaths: string[] = [];
		for (const n of [1, 2]) {
			const mail = byNumber.get(`RE-${token}-${n}.pdf`);
			// the Factur-X replaces the plain PDF: one attachment, the PDF/A-3
			expect(mail?.attachments.map((a) => [a.filename, a.contentType])).toEqual([[`RE-${token}-${n}.pdf`, 'application/pdf']]);
			const pdfPath = keep(`mailer-${n}-facturx.pdf`, mail!.attachments[0].content);
			expect(qpdfCheck(pdfPath).status).toBe(0);
			expect(pdfText(mail!.attachments[0].content)).toContain(`RE-${token}-${n}`);
			const files = detach(pdfPath);
			expect([...files.keys()]).toEqual(['factur-x.xml']);
			const xml = files.get('factur-x.xml')!;
			expect(xml.toString('utf8')).toContain(`<ram:ID>RE-${token}-${n}</ram:ID>`);
			const xmlPath = keep(`mailer-${n}-factur-x.xml`, xml);
			expect(xsdErrors(xmlPath, CII_XSD)).toEqual([]);
			expect(xsdErrors(xmlPath, FACTURX_XSD)).toEqual([]);
			xmlPaths.push(xmlPath);
		}
		const [first, second] = xmlPaths.map((p) => readFileSync(p, 'utf8'));
		// the buyer's electronic address is one address, the first of the two the mail went to
		expect(first).toContain(`<ram:URIID schemeID="EM">fx-a-${token}@example.com</ram:URIID>`);
		expect(second).toMatch(/<ram:CategoryCode>AE<\/ram:CategoryCode>/);
		expect(second).toContain('<ram:ExemptionReasonCode>VATEX-EU-AE</ram:ExemptionReasonCode>');
		expect(fatalAssertions(xmlPaths, EN16931_XSLT)).toEqual(Object.fromEntries(xmlPaths.map((p) => [path.basename(p), []])));
	});

	it('mails an XRechnung as its own <number>.xml attachment that passes the XRechnung schematron, with the PDF as a readable copy', async () => {
		const token = newToken();
		const amt = { number: 'K-3001', name: 'Stadt Musterhausen – Bauamt', email: `xr-${token}@example.com`, buyerReference: LEITWEG_ID };
		const { sent, failed } = await run(mailer(token, { eInvoice: 'xrechnung', seller: { details: EINVOICE_SELLER } }), [
			invoiceJson(`RE-${token}-1`, amt),
		]);
		expect(failed()).toEqual([]);
		expect(sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-1`]]);

		const [mail] = await mailsWith(token, 1);
		expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
			[`RE-${token}-1.xml`, 'application/xml'],
			[`RE-${token}-1.pdf`, 'application/pdf'],
		]);
		const xml = mail.attachments[0].content.toString('utf8');
		expect(xml).toContain('urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0');
		expect(xml).toContain(`<ram:BuyerReference>${LEITWEG_ID}</ram:BuyerReference>`);
		expect(xml).toContain('<ram:PersonName>Grete Weiß</ram:PersonName>');
		const xmlPath = keep('mailer-xrechnung.xml', mail.attachments[0].content);
		expect(xsdErrors(xmlPath, CII_XSD)).toEqual([]);
		expect(fatalAssertions([xmlPath], XRECHNUNG_XSLT)).toEqual({ [path.basename(xmlPath)]: [] });
		expect(fatalAssertions([xmlPath], EN16931_XSLT)).toEqual({ [path.basename(xmlPath)]: [] });

		const copy = pdfText(mail.attachments[1].content);
		expect(copy).toContain(`RE-${token}-1`);
		expect(copy).toMatch(/Gesamtbetrag +238,57 €/);
	});

	it('puts an XRechnung invoice without buyer reference on Failed naming BR-DE-15 and the field, and mails the customer’s other invoice', async () => {
		const token = newToken();
		const amt = { number: 'K-3002', name: 'Landratsamt Beispielkreis', email: `lra-${token}@example.com` };
		const { sent, failed } = await run(mailer(token, { eInvoice: 'xrechnung', seller: { details: EINVOICE_SELLER } }), [
			invoiceJson(`RE-${token}-1`, amt),
			invoiceJson(`RE-${token}-2`, { ...amt, buyerReference: LEITWEG_ID }),
		]);
		expect(failed().map(failure)).toEqual([[`RE-${token}-1`, 'MISSING_FIELD', 'customer.buyerReference', 'BR-DE-15']]);
		expect(failed()[0].json).toMatchObject({ element: 'buyer.buyerReference', eInvoice: 'xrechnung' });
		expect(failed()[0].json.message).toBe(
			`RE-${token}-1 (XRechnung): customer.buyerReference: the buyer reference (BT-10), for a public authority its Leitweg-ID, is missing (BR-DE-15)`,
		);
		expect(failed()[0].pairedItem).toEqual({ item: 0 });
		expect(sent().map((item) => [item.json.invoiceNumbers, item.pairedItem])).toEqual([[[`RE-${token}-2`], [{ item: 1 }]]]);
		const [mail] = await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
		expect(mail.attachments.map((a) => a.filename)).toEqual([`RE-${token}-2.xml`, `RE-${token}-2.pdf`]);
	});

	it('stops before sending anything when XRechnung is chosen and the seller has no phone, naming the parameter and the rule', async () => {
		const token = newToken();
		const { result } = await run(mailer(token, { eInvoice: 'xrechnung', seller: { details: { ...EINVOICE_SELLER, phone: '' } } }), [
			invoiceJson(`RE-${token}-1`, { number: 'K-3003', name: 'Amt', email: `amt-${token}@example.com`, buyerReference: LEITWEG_ID }),
		]);
		expect(result.error?.message).toBe(
			"Seller data: seller.phone: the seller's contact telephone number (BT-42) is missing (BR-DE-6). Nothing was sent.",
		);
		expect(await countAfterQuiet(token)).toBe(0);
	});

	it('stops before sending anything when a Factur-X would carry a CMYK JPEG logo, which PDF/A-3 with sRGB does not allow', async () => {
		const token = newToken();
		// the header of a 4-channel (CMYK) baseline JPEG: all pdf-lib reads of a JPEG before embedding it as it is
		const cmykJpeg = Buffer.from([
			0xff, 0xd8, 0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x10, 0x00, 0x10, 0x04,
			0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00, 0x04, 0x11, 0x00, 0xff, 0xd9,
		]);
		const item: INodeExecutionData = {
			json: invoiceJson(`RE-${token}-1`, { number: 'K-3004', name: 'Logo GmbH', email: `logo-${token}@example.com` }),
			binary: { logo: { data: cmykJpeg.toString('base64'), mimeType: 'image/jpeg', fileName: 'logo.jpg' } },
		};
		const { result } = await run(mailer(token, { eInvoice: 'facturx', seller: { details: EINVOICE_SELLER } }, { logoBinaryPropertyName: 'logo' }), [item]);
		expect(result.error?.message).toMatch(/^The logo cannot go into a Factur-X \(PDF\/A-3\): it uses DeviceCMYK colours .*\. Nothing was sent\.$/);
		expect(await countAfterQuiet(token)).toBe(0);
	});

	it('puts a ready-made PDF that cannot become PDF/A (Helvetica not embedded) on Failed with the reason, and turns a suitable one into Factur-X', async () => {
		const token = newToken();
		const customer = { number: 'K-4001', name: 'Fertig GmbH', email: `fertig-fx-${token}@example.com` };
		const helvetica = await PDFDocument.create();
		helvetica.addPage().drawText(`Rechnung RE-${token}-1`, { x: 50, y: 700, font: await helvetica.embedFont(StandardFonts.Helvetica) });
		const suitable = await renderInvoicePdf({
			number: `RE-${token}-2`,
			type: 'invoice',
			issueDate: '2025-03-14',
			deliveryDate: '2025-03-12',
			seller: { ...SELLER },
			buyer: { name: 'Fertig GmbH', street: 'Lindenallee 17', zip: '80331', city: 'München' },
			lines: [{ description: 'Fertiges PDF', quantity: '1', unit: 'C62', netUnitPrice: '200.47', vatRate: '19' }],
		});
		const withPdf = (n: number, pdf: Uint8Array): INodeExecutionData => ({
			json: invoiceJson(`RE-${token}-${n}`, customer),
			binary: { data: { data: Buffer.from(pdf).toString('base64'), mimeType: 'application/pdf', fileName: `RE-${n}.pdf` } },
		});
		const { sent, failed } = await run(mailer(token, { pdfSource: 'binary', eInvoice: 'facturx' }), [
			withPdf(1, await helvetica.save()),
			withPdf(2, suitable),
		]);
		expect(failed().map(failure)).toEqual([[`RE-${token}-1`, 'UNSUPPORTED_FORMAT', 'binary', undefined]]);
		expect(failed()[0].json.reasons).toEqual(['the font Helvetica is not embedded']);
		expect(failed()[0].json.message).toBe(
			`RE-${token}-1 (Factur-X): the PDF given as binary input cannot become a Factur-X (PDF/A-3): the font Helvetica is not embedded. ` +
				'Export it as PDF/A-3 from the program that makes it, or let the node generate the PDF ("Generate From Invoice Data")',
		);
		expect(sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-2`]]);

		const [mail] = await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
		expect(mail.attachments.map((a) => a.filename)).toEqual([`RE-${token}-2.pdf`]);
		const pdfPath = keep('mailer-ready-made-facturx.pdf', mail.attachments[0].content);
		expect(qpdfCheck(pdfPath).status).toBe(0);
		expect(pdfText(mail.attachments[0].content)).toContain('Fertiges PDF');
		const xml = detach(pdfPath).get('factur-x.xml');
		expect(xml?.toString('utf8')).toContain(`<ram:ID>RE-${token}-2</ram:ID>`);
		expect(xsdErrors(keep('mailer-ready-made-factur-x.xml', xml!), CII_XSD)).toEqual([]);
	});
});

// ------------------------------------------------------------------------------------------- a connection lost in DATA

/** Runs the mailer through a proxy in front of Postfix's plain SMTP port that cuts the first session at `cutAt`. */
async function runThroughProxy(workflow: RunnerWorkflow, items: IDataObject[], cutAt: SmtpCutPoint) {
	const s = loadServers();
	const proxy = await new SmtpProxy({ host: s.host, port: s.smtp.port }, cutAt).start();
	try {
		const account = { ...smtpCredentialsFor('alice', { security: 'none' }), port: proxy.port };
		const result = await workflow.run('Mailer', {
			credentials: { backofficeSmtpApi: n8nCredentialData(account) },
			input: [items.map((json) => ({ json }))],
		});
		return { proxy, sent: () => result.output('Mailer', 0), skipped: () => result.output('Mailer', 1), failed: () => result.output('Mailer', 2) };
	} finally {
		await proxy.stop();
	}
}

describe('Invoice Bulk Mailer: a connection lost while the mail is handed over', () => {
	it('reports a mail whose connection was lost after the final dot, before the reply, as DELIVERY_UNCERTAIN, never sends it again by itself, and only Send Again mails it once more', async () => {
		const token = newToken();
		const workflow = mailer(token, {}, { retries: 3, retryDelaySeconds: 0.2 });
		const items = [invoiceJson(`RE-${token}-1`, { number: 'K-51', name: 'Ungewiss GmbH', email: `ungewiss-${token}@example.com` })];

		const first = await runThroughProxy(workflow, items, 'finalDot');
		expect(first.proxy.cuts).toBe(1);
		// Postfix got the whole message once and queued it: the client was never told, and did not send it again
		expect(first.proxy.messages).toBe(1);
		expect(first.sent()).toEqual([]);
		expect(first.failed()).toHaveLength(1);
		const uncertain = first.failed()[0].json;
		expect(uncertain).toMatchObject({
			invoiceNumbers: [`RE-${token}-1`],
			code: 'DELIVERY_UNCERTAIN',
			temporary: false,
			attempts: 1,
			// the server the node talked to: here the proxy
			server: `${loadServers().host}:${first.proxy.port}`,
		});
		expect(uncertain.messageId).toMatch(/^<.+@backoffice\.test>$/);
		expect(uncertain.message).toMatch(/lost after the whole mail had been sent and before the server confirmed it/);
		expect(first.failed()[0].pairedItem).toEqual([{ item: 0 }]);
		const [arrived] = await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
		expect(arrived.messageId).toBe(uncertain.messageId);

		// a later run counts it as sent, and says the delivery was uncertain
		const second = await run(workflow, items);
		expect(second.sent()).toEqual([]);
		expect(second.skipped().map((item) => [item.json.reason, item.json.deliveryUncertain])).toEqual([['already sent', true]]);
		expect(second.skipped()[0].json.message).toMatch(/delivery uncertain/);
		expect(await countAfterQuiet(token)).toBe(1);

		workflow.node('Mailer').parameters.options = { retryDelaySeconds: 0.2, sendAgain: true };
		const third = await run(workflow, items);
		expect(third.sent().map((item) => item.json.invoiceNumbers)).toEqual([[`RE-${token}-1`]]);
		await mailsWith(token, 2);
		expect(await countAfterQuiet(token)).toBe(2);
	});

	it('retries a mail whose connection was lost after the DATA command, before any of the message went out, and delivers it once', async () => {
		const token = newToken();
		const workflow = mailer(token, {}, { retries: 3, retryDelaySeconds: 0.2 });
		const items = [invoiceJson(`RE-${token}-1`, { number: 'K-52', name: 'Nochmal GmbH', email: `nochmal-${token}@example.com` })];

		const { proxy, sent, failed } = await runThroughProxy(workflow, items, 'dataCommand');
		expect(proxy.cuts).toBe(1);
		expect(failed()).toEqual([]);
		expect(sent()).toHaveLength(1);
		expect(sent()[0].json).toMatchObject({ invoiceNumbers: [`RE-${token}-1`], attempts: 2 });
		expect(sent()[0].json.response).toMatch(/^250 /);
		expect(proxy.messages).toBe(1);
		await mailsWith(token, 1);
		expect(await countAfterQuiet(token)).toBe(1);
	});
});
