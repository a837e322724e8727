/** The Invoice Bulk Mailer's "already sent" record, its mail templates and its sending pipeline. */
import type { IDataObject } from 'n8n-workflow';
import { runPipeline } from '../../../nodes/InvoiceBulkMailer/pipeline';
import { SentLedger } from '../../../nodes/InvoiceBulkMailer/sentLedger';
import { compileMailTemplate, MailTemplateError, missingTemplateParts } from '../../../nodes/shared/mail/templates';

describe('SentLedger', () => {
	it('keeps the newest entries up to its limit, a re-sent invoice counting as new', () => {
		const staticData: IDataObject = {};
		const ledger = new SentLedger(staticData, 3);
		for (const n of ['R1', 'R2', 'R3']) ledger.record(n, 'h');
		ledger.record('R1', 'h2');
		ledger.record('R4', 'h');
		expect(Object.keys(staticData.sentInvoices as object)).toEqual(['R3', 'R1', 'R4']);
		expect(ledger.lookup('R2')).toBeUndefined();
		expect(ledger.lookup('R1')?.hash).toBe('h2');
		expect(typeof staticData.lastSentAt).toBe('string');
	});

	it('survives a round trip through JSON (as n8n stores static data) and odd invoice numbers', () => {
		const staticData: IDataObject = {};
		new SentLedger(staticData).record('__proto__', 'abc', new Date('2025-03-14T10:00:00Z'));
		new SentLedger(staticData).record('constructor', 'def');
		const reloaded = new SentLedger(JSON.parse(JSON.stringify(staticData)));
		expect(reloaded.lookup('__proto__')).toEqual({ hash: 'abc', sentAt: new Date('2025-03-14T10:00:00Z') });
		expect(reloaded.lookup('constructor')?.hash).toBe('def');
		expect(reloaded.lookup('toString')).toBeUndefined();
		expect(reloaded.count).toBe(2);
	});
});

describe('mail templates', () => {
	const data = { customer: { name: 'Müller & <Söhne>\r\nBcc: x@y.de' }, invoices: [{ number: 'R1' }, { number: 'R2' }] };

	it('escapes values in HTML but not in the text, and keeps the subject on one line', () => {
		const mail = compileMailTemplate({
			subject: 'Rechnungen {{#each invoices}}{{number}} {{/each}}für {{customer.name}}',
			text: 'Hallo {{customer.name}}',
			html: '<p>Hallo {{customer.name}}</p>',
		}).render(data);
		expect(mail.subject).toBe('Rechnungen R1 R2 für Müller & <Söhne> Bcc: x@y.de');
		expect(mail.text).toBe('Hallo Müller & <Söhne>\r\nBcc: x@y.de');
		expect(mail.html).toBe('<p>Hallo Müller &amp; &lt;Söhne&gt;\r\nBcc: x@y.de</p>');
	});

	it('refuses a broken template and an unknown helper when compiling, naming the part', () => {
		expect(() => compileMailTemplate({ subject: '{{#each invoices}}', text: 'x' })).toThrow(MailTemplateError);
		expect(() => compileMailTemplate({ subject: 'x', text: '{{formatDate date}}' })).toThrow(/text template cannot be used: .*unknown helper formatDate/);
		expect(compileMailTemplate({ subject: '{{constructor}}x', text: 'y' }).render({}).subject).toBe('x');
	});

	it('names the missing parts', () => {
		expect(missingTemplateParts({ subject: ' ', text: '', html: '' })).toEqual(['subject', 'text (or HTML)']);
		expect(missingTemplateParts({ subject: 'x', text: '', html: '<p>x</p>' })).toEqual([]);
	});
});

describe('runPipeline', () => {
	it('keeps at most `active` jobs working, lets a pausing job give way, and bounds all jobs by `alive`', async () => {
		let working = 0;
		let maxWorking = 0;
		let alive = 0;
		let maxAlive = 0;
		const started: number[] = [];
		await runPipeline(Array.from({ length: 20 }, (_, i) => i), { active: 2, alive: 4 }, async (n, control) => {
			alive++;
			working++;
			started.push(n);
			maxAlive = Math.max(maxAlive, alive);
			maxWorking = Math.max(maxWorking, working);
			await new Promise((resolve) => setTimeout(resolve, 2));
			if (n % 3 === 0) {
				// waiting for a retry: not working, but still alive (it keeps its PDFs)
				working--;
				await control.pause(async () => await new Promise((resolve) => setTimeout(resolve, 10)));
				working++;
				maxWorking = Math.max(maxWorking, working);
			}
			working--;
			alive--;
		});
		expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
		expect(maxWorking).toBe(2);
		expect(maxAlive).toBeGreaterThan(2);
		expect(maxAlive).toBeLessThanOrEqual(4);
	});

	it('stops starting jobs after one throws, and throws its error when the others have ended', async () => {
		const started: number[] = [];
		await expect(
			runPipeline([1, 2, 3, 4, 5, 6], { active: 1, alive: 1 }, async (n) => {
				started.push(n);
				if (n === 2) throw new Error('boom');
			}),
		).rejects.toThrow('boom');
		expect(started).toEqual([1, 2]);
	});
});
