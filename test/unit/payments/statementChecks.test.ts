import { parseCamt, parseMt940, parsePaymentFile, detectPaymentFormat } from '../../../nodes/shared/documents/payments';
import { documentErrorOf, fixture } from './helpers';

/**
 * Bank dialects and damaged statements (issue 14). The MT940 statements are written here in the shape German
 * banks send (Deutsche Kreditwirtschaft "SEPA" :86: layout); amounts are chosen so that each statement adds up
 * unless the test damages it.
 */

const STATEMENT = [
	':20:STARTUMSE',
	':25:37040044/0532013000',
	':28C:00042/001',
	':60F:C250313EUR12500,00',
	':61:2503140314CR1250,00NTRFNONREF//2025031400012345',
	':86:166?00GUTSCHRIFT?100399?20EREF+RE-2025-0042?21SVWZ+Rechnung RE-2025-0042?30COBADEFFXXX?31DE02120300000000202051?32Schreinerei Holzwurm GmbH',
	':61:2503140314DR134,90NDDTNONREF//2025031400012346',
	':86:105?00SEPA-BASISLASTSCHRIFT?100399?20EREF+4711?21SVWZ+Abschlag Strom?32Stadtwerke Musterstadt',
	':62F:C250314EUR13615,10',
	'-',
].join('\r\n');

const mt940 = (text: string) => Buffer.from(text, 'latin1');

describe('MT940 balance check', () => {
	it('reads a statement that adds up', () => {
		const [statement] = parseMt940(mt940(STATEMENT), 'ok.sta');
		expect(statement.payments.map((p) => [p.direction, p.amount])).toEqual([
			['credit', '1250.00'],
			['debit', '134.90'],
		]);
	});

	it('refuses the whole file when a statement does not add up, naming statement and difference', () => {
		const damaged = STATEMENT.replace(':62F:C250314EUR13615,10', ':62F:C250314EUR13715,10');
		const error = documentErrorOf(() => parseMt940(mt940(`${STATEMENT}\r\n${damaged}`), 'umsatz.sta'));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position.line).toBe(11);
		expect(error.message).toBe(
			'umsatz.sta: line 11: statement 2 (:20: STARTUMSE, :28C: 00042/001) does not add up: opening balance 12500.00 EUR + entries 1115.10 EUR = 13615.10 EUR, ' +
				'but the closing balance is 13715.10 EUR (difference 100.00 EUR). The file is damaged or incomplete; nothing from it is imported',
		);
		// through the node's entry point too: nothing is returned, so nothing is imported or deleted
		expect(() => parsePaymentFile(mt940(damaged), 'auto', { fileName: 'umsatz.sta' })).toThrow(/difference 100\.00 EUR/);
	});

	it('refuses an amount cut before its decimal comma, which would read as a smaller amount', () => {
		const cut = STATEMENT.replace(':61:2503140314DR134,90', ':61:2503140314DR134NDDT');
		const error = documentErrorOf(() => parseMt940(mt940(cut), 'cut.sta'));
		expect(error.message).toMatch(/^cut\.sta: line 7: "134" is not an MT940 amount/);
		expect(() => parseMt940(mt940(STATEMENT.replace(':62F:C250314EUR13615,10', ':62F:C250314EUR1361510')))).toThrow(/"1361510" is not an MT940 amount/);
	});

	it('detects a truncated file: a statement must end with its closing balance', () => {
		for (const end of [':62F:', ':86:105?00SEPA-BASIS', ':61:2503140314DR134,90']) {
			const truncated = STATEMENT.slice(0, STATEMENT.indexOf(end) + end.length);
			const error = documentErrorOf(() => parseMt940(mt940(truncated), 'cut.sta'));
			expect(error.file).toBe('cut.sta');
		}
		const mt942 = [':20:INTRADAY', ':25:37040044/0532013000EUR', ':28C:00042/001', ':34F:EUR0,', ':13D:2503141200+0100', ':61:2503140314CR1250,00NTRFNONREF', ':86:166?00GUTSCHRIFT?20SVWZ+RE-2025-0042', ':90C:1EUR1250,00', '-'].join('\r\n');
		expect(parseMt940(mt940(mt942))[0].payments).toHaveLength(1);
		const noClosing = STATEMENT.slice(0, STATEMENT.indexOf(':62F:'));
		expect(documentErrorOf(() => parseMt940(mt940(noClosing), 'cut.sta')).message).toBe(
			'cut.sta: line 1: statement 1 (:20: STARTUMSE, :28C: 00042/001) does not end with its closing balance (:62F:): the file is cut off or damaged; nothing from it is imported',
		);
	});
});

describe('MT940 dialects', () => {
	it('joins :86: repeated for each detail line of one :61: into one set of details', () => {
		const repeated = STATEMENT.replace(
			':86:166?00GUTSCHRIFT?100399?20EREF+RE-2025-0042?21SVWZ+Rechnung RE-2025-0042?30COBADEFFXXX?31DE02120300000000202051?32Schreinerei Holzwurm GmbH',
			[':86:166?00GUTSCHRIFT?100399', ':86:?20EREF+RE-2025-0042', ':86:?21SVWZ+Rechnung RE-2025-0042', ':86:?30COBADEFFXXX?31DE02120300000000202051', ':86:?32Schreinerei Holzwurm GmbH'].join('\r\n'),
		);
		const [plain] = parseMt940(mt940(STATEMENT));
		const [joined] = parseMt940(mt940(repeated));
		expect(joined.payments[0]).toMatchObject({
			payerName: 'Schreinerei Holzwurm GmbH',
			payerIban: 'DE02120300000000202051',
			remittanceText: 'Rechnung RE-2025-0042',
			endToEndId: 'RE-2025-0042',
			invoiceNumbers: ['RE-2025-0042'],
		});
		expect(joined.payments[0].remittanceText).toBe(plain.payments[0].remittanceText);
	});

	it('reads SWIFT framing: control bytes around each message and several {1:…}{4:…-} blocks, also on one line', () => {
		const body = STATEMENT.replace(/\r\n-$/, '');
		const head = '{1:F01COBADEFFAXXX0000000000}{2:O9401200250314COBADEFFAXXX00000000002503141200N}{4:';
		const framed = `\u0001${head}\r\n${body}\r\n-}{5:{CHK:0123456789AB}}\u0003\u0001${head}\r\n${body}\r\n-}\u0003`;
		const statements = parseMt940(mt940(framed), 'fin.sta');
		expect(statements).toHaveLength(2);
		expect(statements[1].payments).toHaveLength(2);
		const oneLine = `${head}\r\n${body}\r\n-}{5:}{1:F01COBADEFFAXXX0000000000}{2:O940}{4:\r\n${body}\r\n-}`;
		expect(parseMt940(mt940(oneLine))).toHaveLength(2);
		expect(detectPaymentFormat(mt940(framed))).toBe('mt940');
		// a control byte inside the text is still refused
		expect(() => parseMt940(mt940(STATEMENT.replace('Stadtwerke', 'Stadt\u0001werke')))).toThrow(/U\+0001/);
	});

	it('reads bank settlement dates such as 30 February as the last day of that month', () => {
		const text = STATEMENT.replace(':60F:C250313EUR', ':60F:C250130EUR')
			.replace(':61:2503140314CR1250,00', ':61:2502300230CR1250,00')
			.replace(':62F:C250314EUR', ':62F:C250230EUR');
		const [statement] = parseMt940(mt940(text));
		expect(statement.closingBalance?.date).toBe('2025-02-28');
		expect(statement.payments[0]).toMatchObject({ valueDate: '2025-02-28', bookingDate: '2025-02-28' });
		const leap = parseMt940(mt940(text.replace(':61:2502300230', ':61:2402300230').replace(':62F:C250230', ':62F:C240231')))[0];
		expect(leap.payments[0].valueDate).toBe('2024-02-29');
		expect(leap.closingBalance?.date).toBe('2024-02-29');
		expect(() => parseMt940(mt940(text.replace(':61:2502300230', ':61:2502320230')))).toThrow(/"250232" is not a valid date/);
		expect(() => parseMt940(mt940(text.replace(':61:2502300230', ':61:2513010230')))).toThrow(/"251301" is not a valid date/);
	});

	it('keeps a continuation line of :86: that starts like a tag (a time ":12:11") as text', () => {
		const text = STATEMENT.replace(
			'?21SVWZ+Rechnung RE-2025-0042?30',
			'?21SVWZ+Rechnung RE-2025-0042 um\r\n:12:11 Uhr?30',
		);
		const [statement] = parseMt940(mt940(text));
		expect(statement.payments[0].remittanceText).toBe('Rechnung RE-2025-0042 um:12:11 Uhr');
		expect(statement.payments[0].payerName).toBe('Schreinerei Holzwurm GmbH');
	});
});

describe('camt checks', () => {
	const v8 = () => fixture('camt053/camt053.v8.batch.xml').toString('utf8');

	it.each(['2025-02-30', '9999-99-99', '2025-13-01'])('refuses the impossible date %s, naming the element', (date) => {
		const text = v8().replace('<Dt>2025-03-13</Dt>', `<Dt>${date}</Dt>`);
		const error = documentErrorOf(() => parseCamt(Buffer.from(text), 'd.xml'));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.message).toContain(`"${date}" is not a calendar date`);
		expect(error.position.element).toBe('Document/BkToCstmrStmt/Stmt/Bal[1]/Dt/Dt');
	});

	it('refuses a camt.053 whose booked entries do not lead from opening to closing balance', () => {
		const damaged = v8().replace('<Amt Ccy="EUR">13615.10</Amt>', '<Amt Ccy="EUR">13615.01</Amt>');
		const error = documentErrorOf(() => parsePaymentFile(Buffer.from(damaged), 'auto', { fileName: 'stmt.xml' }));
		expect(error.message).toMatch(/^stmt\.xml: line 11, at Document\/BkToCstmrStmt\/Stmt: account statement 1 \(Id STMT-20250314-0001\) does not add up: .*\(difference -0\.09 EUR\)/);
	});

	it('detects and reads camt.052: booked entries from OPBD to the interim booked balance, pending ones skipped', () => {
		const bytes = fixture('camt05x/camt052.v8.intraday.xml');
		expect(detectPaymentFormat(bytes)).toBe('camt052');
		const file = parsePaymentFile(bytes, 'auto', { fileName: 'intraday.xml' });
		expect(file.format).toBe('camt052');
		const [report] = file.statements;
		expect(report).toMatchObject({
			format: 'camt052',
			statementId: 'RPT-20250314-1200',
			openingBalance: { amount: '12500.00' },
			closingBalance: { amount: '13130.50', date: '2025-03-14' },
			skipped: 1,
		});
		expect(file.payments.map((p) => [p.direction, p.amount, p.payerName])).toEqual([
			['credit', '750.50', 'Schreinerei Holzwurm GmbH'],
			['debit', '120.00', 'Stadtwerke Musterstadt'],
		]);
		expect(file.payments[0].invoiceNumbers).toEqual(['RE-2025-0077']);
		const damaged = bytes.toString('utf8').replace('<Amt Ccy="EUR">13130.50</Amt>', '<Amt Ccy="EUR">13229.50</Amt>');
		expect(() => parsePaymentFile(Buffer.from(damaged), 'auto')).toThrow(/account report 1 \(Id RPT-20250314-1200\) does not add up.*difference 99\.00 EUR/);
	});

	it('detects and reads camt.054: one payment per transaction of a batch booking', () => {
		const bytes = fixture('camt05x/camt054.v8.batch.xml');
		expect(detectPaymentFormat(bytes)).toBe('camt054');
		const file = parsePaymentFile(bytes, 'auto', { fileName: 'sammler.xml', knownInvoiceNumbers: ['2025-0102', '2025-0103'] });
		expect(file.format).toBe('camt054');
		expect(file.statements[0]).toMatchObject({ format: 'camt054', statementId: 'NTFCTN-20250314-0009', accountIban: 'DE89370400440532013000' });
		expect(file.payments.map((p) => [p.amount, p.payerName, p.position?.transaction])).toEqual([
			['980.00', 'Baeckerei Schmidt e.K.', 1],
			['400.00', 'Metzgerei Wurst OHG', 2],
			['100.00', 'Karl Kaufmann', 3],
		]);
		expect(file.payments[0]).toMatchObject({ endToEndId: 'RE-2025-0101', invoiceNumbers: ['RE-2025-0101'], raw: { batchEntryAmount: '1480.00 EUR' } });
		expect(file.payments[1].creditorReference).toBe('RF18539007547034');
		expect(file.payments[2].invoiceNumbers).toEqual(['2025-0102', '2025-0103']);
		// a camt.053 reader asked for a camt.053 does not take it
		expect(() => parsePaymentFile(bytes, 'camt053')).toThrow(/not a camt\.053/);
	});
});
