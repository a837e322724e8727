/** The canvas subtitle of every node speaks words, never an internal value such as `importPayments` or `email`. */
import type { INodeTypeDescription } from 'n8n-workflow';

import { AccountingFtpImport } from '../../../nodes/AccountingFtpImport/AccountingFtpImport.node';
import { InvoiceBulkMailer } from '../../../nodes/InvoiceBulkMailer/InvoiceBulkMailer.node';
import { OrderExchange } from '../../../nodes/OrderExchange/OrderExchange.node';

/** The subtitle for these parameters: the expression's body evaluated as the plain JavaScript it is. */
function subtitle(type: INodeTypeDescription, parameters: Record<string, string>): string {
	const match = /^=\{\{([\s\S]*)\}\}$/.exec(type.subtitle ?? '');
	if (!match) throw new Error(`subtitle of ${type.name} is not one expression`);
	// eslint-disable-next-line @typescript-eslint/no-implied-eval
	return new Function('$parameter', `return (${match[1]});`)(parameters) as string;
}

const optionsOf = (type: INodeTypeDescription, name: string): string[] =>
	type.properties
		.filter((p) => p.name === name)
		.flatMap((p) => (p.options ?? []).map((o) => ('value' in o ? String(o.value) : '')));

describe('canvas subtitles', () => {
	test('Accounting FTP Import: the operation in words', () => {
		const type = new AccountingFtpImport().description;
		expect(optionsOf(type, 'operation').map((operation) => subtitle(type, { operation }))).toEqual([
			'Import payments',
			'Send test report',
			'Check access',
		]);
	});

	test('Invoice Bulk Mailer: the operation in words', () => {
		const type = new InvoiceBulkMailer().description;
		expect(optionsOf(type, 'operation').map((operation) => subtitle(type, { operation }))).toEqual([
			'Send invoices',
			'Send test mail',
		]);
	});

	test('Order Exchange: operation and transport in words', () => {
		const type = new OrderExchange().description;
		expect(subtitle(type, { operation: 'send', transport: 'email' })).toBe('Send by e-mail');
		expect(subtitle(type, { operation: 'receive', transport: 'ftp' })).toBe('Receive by FTP');
		expect(subtitle(type, { operation: 'receive', transport: 'binary' })).toBe('Receive from the input');
		expect(subtitle(type, { operation: 'send', transport: 'folder' })).toBe('Send by folder');
		expect(subtitle(type, { operation: 'match' })).toBe('Match');
		for (const transport of optionsOf(type, 'transport'))
			for (const operation of optionsOf(type, 'operation'))
				expect(subtitle(type, { operation, transport })).toMatch(/^(Send|Receive|Match)( (by|from) [a-zA-Z -]+)?$/);
	});
});
