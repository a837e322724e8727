/** The Accounting FTP Import node's own rules: clients by account, open invoices from items, dates. */
import { ClientDirectory, parseAccounts, statementKeys } from '../../../nodes/AccountingFtpImport/clients';
import { composeErrorReport } from '../../../nodes/AccountingFtpImport/errorReport';
import { isoDateIn, shiftIsoDate } from '../../../nodes/AccountingFtpImport/importSettings';
import { DEFAULT_INVOICE_FIELDS, decimalAmount, openInvoicesFromItems } from '../../../nodes/AccountingFtpImport/openInvoices';
import type { Statement } from '../../../nodes/shared/documents/payments';

const statement = (fields: Partial<Statement>): Statement => ({ format: 'mt940', payments: [], skipped: 0, skippedEntries: [], ...fields });

describe('ClientDirectory', () => {
	const clients = new ClientDirectory([
		{ id: 'nord', accounts: parseAccounts('DE89 3704 0044 0532 0130 00; 456') },
		{ id: 'sued', accounts: parseAccounts('DE02120300000000202051,\n0194787400888') },
	]);

	it('finds the client by IBAN (spaces ignored), by a German IBAN\'s BLZ/Konto, by account number and by DATEV client number', () => {
		expect(clients.ownerOf(statement({ accountIban: 'DE89370400440532013000' }))).toEqual({ kind: 'client', id: 'nord' });
		// MT940 :25:37040044/532013000 is the account of DE89 3704 0044 0532 0130 00
		expect(clients.ownerOf(statement({ bankCode: '37040044', accountNumber: '532013000' }))).toEqual({ kind: 'client', id: 'nord' });
		expect(clients.ownerOf(statement({ bankCode: '50880050', accountNumber: '0194787400888' }))).toEqual({ kind: 'client', id: 'sued' });
		expect(clients.ownerOf(statement({ format: 'datev', clientNumber: '00456', adviserNumber: '1001' }))).toEqual({ kind: 'client', id: 'nord' });
	});

	it('calls a statement of an unknown account foreign, and one without account unknown when there are several clients', () => {
		expect(clients.ownerOf(statement({ accountIban: 'NL26VAYB8060476890' }))).toEqual({ kind: 'foreign', accounts: ['NL26VAYB8060476890'] });
		expect(clients.ownerOf(statement({}))).toEqual({ kind: 'unknown' });
		expect(new ClientDirectory([{ id: 'only', accounts: ['DE02120300000000202051'] }]).ownerOf(statement({}))).toEqual({ kind: 'client', id: 'only' });
		expect(new ClientDirectory([]).ownerOf(statement({ accountIban: 'X' }))).toEqual({ kind: 'any' });
	});

	it('lets one client without accounts take what no other claims, and refuses an account listed for two clients', () => {
		const withDefault = new ClientDirectory([
			{ id: 'nord', accounts: ['DE89370400440532013000'] },
			{ id: 'zentrale', accounts: [] },
		]);
		expect(withDefault.ownerOf(statement({ accountIban: 'NL26VAYB8060476890' }))).toEqual({ kind: 'client', id: 'zentrale' });
		expect(withDefault.ownerOf(statement({ accountIban: 'DE89370400440532013000' }))).toEqual({ kind: 'client', id: 'nord' });
		expect(() => new ClientDirectory([{ id: 'a', accounts: ['456'] }, { id: 'b', accounts: ['0456'] }])).toThrow(/listed for two clients/);
		expect(() => new ClientDirectory([{ id: 'a', accounts: [] }, { id: 'b', accounts: [] }])).toThrow(/Only one client/);
	});

	it('names a statement by every identity its file gives', () => {
		expect(statementKeys({ bankCode: '50880050', accountNumber: '0194787400888' })).toEqual(['194787400888', '50880050/194787400888']);
	});
});

describe('open invoices from input items', () => {
	it('reads amounts as exact decimals: numbers with float noise cut, German and English separators, currency signs', () => {
		expect(decimalAmount(0.1 + 0.2)).toBe('0.3');
		expect(decimalAmount(1000)).toBe('1000');
		expect(decimalAmount('1.234,56')).toBe('1234.56');
		expect(decimalAmount('1,234.56')).toBe('1234.56');
		expect(decimalAmount('400,00 €')).toBe('400.00');
		expect(decimalAmount('EUR 12.5')).toBe('12.5');
		expect(decimalAmount('-5,00')).toBe('-5.00');
		expect(decimalAmount('1,2,3')).toBeUndefined();
		expect(decimalAmount('zwölf')).toBeUndefined();
		expect(decimalAmount(Number.NaN)).toBeUndefined();
	});

	it('takes items with an invoice number (nested fields by dots) and ignores the others, remembering each invoice\'s item', () => {
		const { invoices, itemIndex } = openInvoicesFromItems(
			[{ json: { timestamp: 'x' } }, { json: { beleg: { nr: 'RE-1' }, offen: '10,00', waehrung: 'eur' } }],
			{ ...DEFAULT_INVOICE_FIELDS, invoiceNumber: 'beleg.nr', openAmount: 'offen', currency: 'waehrung' },
		);
		expect(invoices).toEqual([{ invoiceNumber: 'RE-1', openAmount: '10.00', currency: 'EUR' }]);
		expect(itemIndex).toEqual([1]);
		expect(() => openInvoicesFromItems([{ json: { invoiceNumber: 'RE-2' } }], DEFAULT_INVOICE_FIELDS)).toThrow(/RE-2 has no open amount/);
	});
});

describe('run dates', () => {
	it('takes the run date in the workflow\'s time zone and shifts it by days', () => {
		const justAfterMidnightInBerlin = new Date('2025-03-13T23:30:00Z');
		expect(isoDateIn('Europe/Berlin', justAfterMidnightInBerlin)).toBe('2025-03-14');
		expect(isoDateIn('America/New_York', justAfterMidnightInBerlin)).toBe('2025-03-13');
		expect(shiftIsoDate('2025-03-01', -1)).toBe('2025-02-28');
		expect(shiftIsoDate('2025-12-31', 1)).toBe('2026-01-01');
	});
});

describe('composeErrorReport', () => {
	it('lists each failure with reason and place, attaches files within a budget, and keeps header injection out of the subject', () => {
		const mail = composeErrorReport({
			workflowName: 'Import\r\nBcc: evil@example.com',
			server: 'ftp.example.com:21',
			directory: '/in',
			runAt: '2025-03-14T06:00:00Z',
			failures: [
				{ file: 'a.sta', stage: 'parse', reason: 'broken', position: 'line 6', action: 'kept', content: Buffer.alloc(6 * 1024 * 1024) },
				{ file: 'b.sta', stage: 'parse', reason: 'broken too', content: Buffer.alloc(6 * 1024 * 1024) },
			],
		});
		expect(mail.subject).toBe('Accounting FTP Import: 2 problems — Import Bcc: evil@example.com');
		expect(mail.text).toContain('1. a.sta');
		expect(mail.text).toContain('Where:    line 6');
		expect(mail.attachments.map((a) => a.filename)).toEqual(['a.sta']);
		expect(mail.text).toMatch(/not attached: the report is already large/);
	});
});
