import { execFileSync } from 'node:child_process';

import { parseCamt053 } from '../../../nodes/shared/documents/payments';
import { computedClosingBalance, documentErrorOf, fixture, fixturePath } from './helpers';

/** The genkgo samples' closing balance is a debit of 27.00 after an opening credit of 18.15 and a credit of 8.85: read unchecked. */
const UNCHECKED = { checkBalances: false };

describe('parseCamt053', () => {
	it('reads the 001.02 minimal statement: account, balances and its one booked credit', () => {
		const [statement, ...more] = parseCamt053(fixture('camt053/camt053.v2.minimal.xml'), 'camt053.v2.minimal.xml', [], UNCHECKED);
		expect(more).toHaveLength(0);
		expect(statement).toMatchObject({
			format: 'camt053',
			statementId: '253EURNL26VAYB8060476890',
			statementNumber: '12312',
			accountIban: 'NL26VAYB8060476890',
			currency: 'EUR',
			openingBalance: { amount: '18.15', currency: 'EUR', date: '2014-12-30' },
			// CLBD is a debit balance in the sample: the sign says so
			closingBalance: { amount: '-27.00', currency: 'SEK', date: '2014-12-31' },
			availableBalance: { amount: '-2700', currency: 'JPY', date: '2014-12-31' },
			skipped: 0,
		});
		expect(statement.payments).toEqual([
			{
				amount: '8.85',
				currency: 'EUR',
				direction: 'credit',
				bookingDate: '2014-12-31',
				valueDate: '2015-01-02',
				payerName: 'NAME NAME',
				payerIban: 'NL56AGDH9619008421',
				remittanceText: '',
				invoiceNumbers: [],
				creditorReference: '4654654654654654',
				transactionCode: '544',
				accountIban: 'NL26VAYB8060476890',
				sourceFile: 'camt053.v2.minimal.xml',
				position: { statement: 1, entry: 1, transaction: 1, line: 107 },
			},
		]);
	});

	it('reads both statements of a multi-statement file, the debit naming its creditor as counterparty', () => {
		const statements = parseCamt053(fixture('camt053/camt053.v2.multi.statement.xml'));
		expect(statements.map((s) => s.statementId)).toEqual(['253EURNL26VAYB8060476890', '254EURNL26VAYB8060476890']);
		const [first, second] = statements;
		expect(first.payments).toHaveLength(1);
		expect(first.payments[0]).toMatchObject({
			amount: '8.85',
			direction: 'credit',
			endToEndId: '000000001',
			remittanceText: 'Transaction Description 1',
			position: { statement: 1, entry: 1 },
		});
		// the credit's only party is the creditor (the account owner), so there is no payer to name
		expect(first.payments[0].payerName).toBeUndefined();
		expect(second.payments[0]).toMatchObject({
			amount: '7.00',
			direction: 'debit',
			payerName: 'Company Name 2',
			payerIban: 'NL56AGDH9619008421',
			endToEndId: '000000002',
			remittanceText: 'Transaction Description 2',
			position: { statement: 2, entry: 2 },
		});
		for (const s of statements) expect(computedClosingBalance(s)).toBe(s.closingBalance?.amount);
	});

	it('reads 001.04 with the IBAN in Othr/Id and keeps the booked entry amount when TxDtls/Amt differs', () => {
		const [statement] = parseCamt053(fixture('camt053/camt053.v4.xml'), 'camt053.v4.xml', [], UNCHECKED);
		expect(statement.accountIban).toBe('NL26VAYB8060476890');
		expect(statement.payments).toHaveLength(1);
		expect(statement.payments[0]).toMatchObject({
			amount: '8.85',
			currency: 'EUR',
			direction: 'credit',
			bookingDate: '2014-12-31',
			valueDate: '2015-01-02',
			bankReference: 'AAAASESS-FP-CN_98765/01',
			transactionCode: 'PAYM/0001/0005',
			payerName: 'NAME NAME',
			creditorReference: '4654654654654654',
			raw: { transactionAmount: '0.00 SEK' },
		});
		expect(statement.payments[0].reversal).toBeUndefined();
	});

	it('splits the 001.08 batch booking into one payment per TxDtls, with Pty/Nm, RF reference and invoice number', () => {
		const [statement] = parseCamt053(fixture('camt053/camt053.v8.batch.xml'), 'camt053.v8.batch.xml');
		expect(statement).toMatchObject({
			accountIban: 'DE89370400440532013000',
			bankCode: 'COBADEFFXXX',
			statementNumber: '52',
			period: { from: '2025-03-14', to: '2025-03-14' },
			openingBalance: { amount: '12500.00' },
			closingBalance: { amount: '13615.10' },
		});
		const [schmidt, mueller, telekom, reversal, ...rest] = statement.payments;
		expect(rest).toHaveLength(0);
		expect(schmidt).toMatchObject({
			amount: '1000.00',
			direction: 'credit',
			bookingDate: '2025-03-14',
			payerName: 'Bäckerei Schmidt e.K.',
			payerIban: 'DE02120300000000202051',
			payerBic: 'BYLADEM1001',
			creditorReference: 'RF76RE20250041',
			endToEndId: 'E2E-BS-2025-0041',
			bankReference: '2025031400012345',
			transactionCode: 'PMNT/RCDT/ESCT',
			position: { statement: 1, entry: 1, transaction: 1 },
		});
		expect(mueller).toMatchObject({
			amount: '250.00',
			payerName: 'Müller & Söhne GmbH',
			payerIban: 'DE12500105170648489890',
			remittanceText: 'Rechnung RE-2025-0042 Kd-Nr. 4711 Vielen Dank',
			invoiceNumbers: ['RE-2025-0042'],
			position: { statement: 1, entry: 1, transaction: 2 },
		});
		expect(mueller.endToEndId).toBeUndefined(); // NOTPROVIDED
		expect(telekom).toMatchObject({
			amount: '89.90',
			direction: 'debit',
			// BookgDt/DtTm: the date part as the bank wrote it
			bookingDate: '2025-03-14',
			payerName: 'Telekom Deutschland GmbH',
			payerIban: 'DE75512108001245126199',
			raw: { mandateId: 'TK-MANDAT-0815' },
		});
		expect(reversal).toMatchObject({ amount: '45.00', direction: 'debit', reversal: true, payerName: 'Hofladen Weber' });
		expect(statement.skipped).toBe(1);
		expect(statement.skippedEntries[0]).toMatchObject({ position: { entry: 3 }, reason: expect.stringContaining('PDNG') });
		expect(computedClosingBalance(statement)).toBe('13615.10');
	});

	it('has a hand-written 001.08 sample that the official schema accepts', () => {
		const out = execFileSync(
			'xmllint',
			['--noout', '--schema', fixturePath('camt053/camt.053.001.08.xsd'), fixturePath('camt053/camt053.v8.batch.xml')],
			{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
		);
		expect(out).toBe('');
	});

	it('rejects the statement message without Stmt, naming file, line and element', () => {
		const error = documentErrorOf(() => parseCamt053(fixture('camt053/camt053.v2.wrong.xml'), 'camt053.v2.wrong.xml'));
		expect(error.code).toBe('MISSING_FIELD');
		expect(error.file).toBe('camt053.v2.wrong.xml');
		expect(error.position).toEqual({ line: 3, element: 'Document/BkToCstmrStmt' });
		expect(error.message).toMatch(/^camt053\.v2\.wrong\.xml: line 3, at Document\/BkToCstmrStmt: .*Stmt/);
	});

	it('rejects an amount written with a decimal comma, naming the entry it is in', () => {
		const text = fixture('camt053/camt053.v2.minimal.xml').toString('utf8').replace('<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">8,85</Amt>');
		const error = documentErrorOf(() => parseCamt053(Buffer.from(text), 'bad-amount.xml'));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position.element).toBe('Document/BkToCstmrStmt/Stmt/Ntry/Amt');
		expect(error.position.line).toBe(91);
	});

	it('rejects a batch transaction without an amount of its own', () => {
		const text = fixture('camt053/camt053.v8.batch.xml').toString('utf8').replace('<Amt Ccy="EUR">250.00</Amt>', '');
		const error = documentErrorOf(() => parseCamt053(Buffer.from(text), 'batch.xml'));
		expect(error.message).toMatch(/transaction 2 of a batch booking of 2 has no amount/);
		expect(error.position.element).toBe('Document/BkToCstmrStmt/Stmt/Ntry[1]/NtryDtls/TxDtls[2]');
	});

	it('refuses other XML, a truncated file and a DOCTYPE', () => {
		const camt052 = fixture('camt053/camt053.v2.minimal.xml').toString('utf8').replace(/camt\.053\.001\.02/g, 'camt.052.001.02');
		expect(documentErrorOf(() => parseCamt053(Buffer.from(camt052))).code).toBe('UNSUPPORTED_FORMAT');
		const truncated = fixture('camt053/camt053.v2.minimal.xml').subarray(0, 3000);
		const cut = documentErrorOf(() => parseCamt053(truncated, 'cut.xml'));
		expect(cut.code).toBe('PARSE_ERROR');
		expect(cut.position.line).toBeGreaterThan(50);
		const xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>';
		expect(documentErrorOf(() => parseCamt053(Buffer.from(xxe))).code).toBe('ENTITY_NOT_ALLOWED');
	});
});
