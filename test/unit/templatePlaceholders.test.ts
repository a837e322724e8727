/**
 * Templates must not act on real mail or real invoices before they are edited: their sample suppliers and
 * seller data are placeholders in angle brackets, which the nodes refuse ("Set your suppliers", "Set your
 * company data"). And the error report of the Accounting FTP Import goes to several addresses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { reportRecipients } from '../../nodes/AccountingFtpImport/errorReport';
import { firstPlaceholder, isPlaceholder } from '../../nodes/shared/placeholders';

const template = (file: string) =>
	JSON.parse(readFileSync(path.join(__dirname, '../../workflows-templates', file), 'utf8')) as {
		nodes: Array<{ type: string; parameters: Record<string, unknown> }>;
	};

test('a placeholder is a whole value in angle brackets, nothing else', () => {
	expect(isPlaceholder('<your company name>')).toBe(true);
	expect(isPlaceholder('  <e.g. *@lieferant.de for every address of its domain>  ')).toBe(true);
	for (const value of ['Muster GmbH', 'Baustelle <Nord> & Lager', '<a> <b>', '', undefined, 42]) expect(isPlaceholder(value)).toBe(false);
	expect(firstPlaceholder({ name: 'Muster GmbH', iban: '<your IBAN>' })).toEqual(['iban', '<your IBAN>']);
	expect(firstPlaceholder({ name: 'Muster GmbH' })).toBeUndefined();
});

test('the delivery note template lists only placeholder suppliers, which the trigger refuses', () => {
	const trigger = template('delivery-notes-goods-receipt.json').nodes.find((n) => n.type.endsWith('.deliveryNoteImapTrigger'))!;
	const suppliers = (trigger.parameters.suppliers as { supplier: Array<{ name: string; sender: string }> }).supplier;
	expect(suppliers.length).toBeGreaterThan(0);
	for (const s of suppliers) expect([isPlaceholder(s.name), isPlaceholder(s.sender)]).toEqual([true, true]);
});

test('the invoice run template has placeholder seller data for every field that reaches an invoice, but the country', () => {
	const mailer = template('monthly-invoice-run.json').nodes.find((n) => n.type.endsWith('.invoiceBulkMailer'))!;
	const details = (mailer.parameters.seller as { details: Record<string, string> }).details;
	const notPlaceholders = Object.entries(details).filter(([, v]) => !isPlaceholder(v)).map(([k]) => k);
	expect(notPlaceholders).toEqual(['country']);
});

test('the error report goes to one address or several, separated by commas, semicolons or lines', () => {
	expect(reportRecipients('buchhaltung@example.com')).toEqual(['buchhaltung@example.com']);
	expect(reportRecipients(' buchhaltung@example.com, it@example.com;\nchef@example.com ,')).toEqual([
		'buchhaltung@example.com',
		'it@example.com',
		'chef@example.com',
	]);
	expect(() => reportRecipients('buchhaltung@example.com, it-at-example')).toThrow('The error report address "it-at-example" is not a valid e-mail address');
	expect(() => reportRecipients(' , ')).toThrow('No error report address');
});
