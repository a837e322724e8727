import { parseMt940, type Statement } from '../../../nodes/shared/documents/payments';
import { computedClosingBalance, documentErrorOf, fixture } from './helpers';

/**
 * Expected values come from the `.yml` beside each `.sta` (the Python mt940 library's parse results).
 * Where this reader deliberately differs from that library, the assertion says why.
 */

/** The snippet's second statement was edited by hand and does not add up: read it as an excerpt, unchecked. */
const EXCERPT = { checkBalances: false };
const betterplace = (name: string) => fixture(`mt940/betterplace/${name}`);
const cmxl = (name: string) => fixture(`mt940/cmxl/${name}`);

describe('parseMt940 on the betterplace samples', () => {
	it('reads the SEPA snippet: two statements with balances, names, IBANs, EREF and SVWZ as the yml lists them', () => {
		const statements = parseMt940(betterplace('sepa_snippet.sta'), 'sepa_snippet.sta', EXCERPT);
		expect(statements).toHaveLength(2);
		const [first, second] = statements;
		expect(first).toMatchObject({
			statementId: 'T089414086000001',
			bankCode: '50880050',
			accountNumber: '0194787400888',
			statementNumber: '00004/00001',
			currency: 'EUR',
			openingBalance: { amount: '766656.49', currency: 'EUR', date: '2007-09-03' },
			closingBalance: { amount: '1125250.40', currency: 'EUR', date: '2007-09-04' },
			availableBalance: { amount: '559614.51', date: '2007-09-04' },
			charset: 'utf-8',
		});
		expect(first.payments).toHaveLength(4);
		expect(first.payments[0]).toMatchObject({
			amount: '50990.05',
			currency: 'EUR',
			direction: 'credit',
			valueDate: '2007-09-07',
			bookingDate: '2007-09-04',
			// ?32 "KARL" and ?33 "        KAUFMANN" joined as the bank sent them (yml: applicant_name)
			payerName: 'KARL        KAUFMANN',
			payerIban: 'DE14508800500194785000',
			payerBic: 'DRESDEFF508',
			endToEndId: 'EndToEndId TFNR 22 004 00001',
			remittanceText: 'Verw CTSc-01 BC-PPP TFNr 22 004',
			bookingText: 'GUTSCHRIFT',
			transactionCode: '166',
			position: { statement: 1, entry: 1, line: 5 },
			raw: { primaNota: '0399', fundsCode: 'R', typeCode: 'NTRF', customerReference: 'NONREF' },
		});
		// SWIFT puts the bank's reference after "//"; the Python library cuts the customer reference at 16 characters instead
		expect(first.payments[0].bankReference).toBe('0724710333343453');
		expect(first.payments[1]).toMatchObject({
			amount: '154551.93',
			payerName: 'Quentin Quast',
			payerIban: 'DE03508800500194791600',
			endToEndId: 'TFNR 0300300004',
			remittanceText: 'Strukturierter Verwendungszweck 30030004 DE',
		});
		expect(first.payments[3]).toMatchObject({
			amount: '1500.00',
			direction: 'debit',
			bookingText: 'SEPA-UEBERW',
			transactionCode: '191',
			bankReference: '536D80EFEC56ACF8',
			// "?2" + line break + "2MTLG": the subfield code itself was wrapped
			raw: { KREF: 'TFNr 01022 MSGID CTSc-01 EBBMTLG:SEPA-Ueberweisungsauftrag Datei mit 0000001 Zahlungen' },
		});

		expect(second).toMatchObject({
			statementId: 'T089414096000001',
			accountNumber: '0194791600888',
			openingBalance: { amount: '-1970431.87', date: '2007-09-03' },
			closingBalance: { amount: '-4472049.09', date: '2007-09-04' },
			availableBalance: { amount: '-4472049.09' },
		});
		expect(second.payments.map((p) => `${p.direction === 'debit' ? '-' : ''}${p.amount}`)).toEqual([
			'-0.08',
			'335.33',
			'15000.00',
			'15000.05',
			'125004.88',
			'915311.55',
			'-3572569.03',
		]);
		expect(second.payments[0]).toMatchObject({ bookingText: 'RETOURE', raw: { textKeyExtension: '914' } });
		expect(second.payments[3]).toMatchObject({
			payerName: 'Richter Renate 70 Zeichen Beginn Fuellzeichen xxxxxxxx',
			payerIban: 'DE42100100100043921105',
			payerBic: 'PBNKDEFF100',
			endToEndId: 'EndToEndIdTFNR2000100001',
			remittanceText:
				'TO 13 TFNr 20001 Eingangskanal Mint Unstrukturierter Verwendungszweck 140 Zeichen Beginn Fuellzeichen xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
		});
		expect(second.payments[6]).toMatchObject({ remittanceText: '0904059001', bookingText: 'SAMMLER', transactionCode: '079', raw: { primaNota: '9800' } });
		// the snippet's second statement was edited by hand (a credit of 300 became a debit of 0.08), so only the first adds up
		expect(computedClosingBalance(first)).toBe('1125250.40');
	});

	it('reads all 26 statements of sepa_mt9401 and every one reconciles, a reversal of a credit (RC) counting as a debit', () => {
		const statements = parseMt940(betterplace('sepa_mt9401.sta'), 'sepa_mt9401.sta');
		expect(statements).toHaveLength(26);
		expect(statements.flatMap((s) => s.payments)).toHaveLength(97);
		for (const s of statements) expect(`${s.statementId} ${computedClosingBalance(s)}`).toBe(`${s.statementId} ${s.closingBalance?.amount}`);
		// the Python library books RC as +204.88; SWIFT says "reversal of credit", and the closing balance agrees
		const rc = statements[0].payments[5];
		expect(rc).toMatchObject({ amount: '204.88', direction: 'debit', reversal: true, bookingText: 'SAMMLER/STORNO', remittanceText: '0904059003' });
		expect(statements[13]).toMatchObject({ statementId: 'T089414036000002', statementNumber: '00004/00002' });
	});

	it('keeps a space that ends a full 65-character line, since the bank wrapped the text right after it', () => {
		const payments = parseMt940(betterplace('sepa_mt9401.sta')).flatMap((s) => s.payments);
		const texts = payments.map((p) => p.remittanceText);
		// "?24ndungszweck mit " ends a 65-character line, "140 Stellen" begins the next (the Python library drops the space)
		expect(texts).toContain(
			'Unstrukturierter Verwendungszweck mit 140 Stellen fu/r SEPA COR Buchungsschema /A-CT-DTE-S01 und A-CT-NUD-/S01 CTSc-01 EBB TFNr 01011/ 0001',
		);
		// ?60–?63 continue the purpose
		expect(texts).toContain(
			'Unstrukturiert Verwendungs/zweck mit 140 Stellenfur /SEPA ZKA Buchungsschema A-/CT-PTS-S01 A-CT-ENTNRZ-S01/ CTSc-01 BC PPP TFNr 06 003/0001MTLG:SBI-SEPA-UEB.FR142004101005 Referenz: 1930467117Ggf.Meldevorschriften beachten',
		);
	});

	it('reads the file with UTF-8 umlauts in :20: and :86: rather than stopping at the "binary" characters', () => {
		const statements = parseMt940(betterplace('with_binary_character.sta'), 'with_binary_character.sta');
		expect(statements.map((s) => s.statementId)).toEqual(['STAR1ÜTßUMS', 'STAR1ÜTUMS']);
		expect(statements[0]).toMatchObject({ charset: 'utf-8', bankCode: '51230800', accountNumber: '0000007055' });
		expect(statements[0].payments[0]).toMatchObject({
			amount: '27.00',
			direction: 'credit',
			valueDate: '2010-03-19',
			bookingDate: '2010-03-19',
			payerName: 'PAYPAL',
			payerBankCode: '50070010',
			payerAccountNumber: '0175526300',
			remittanceText: 'QQW53T2245ZGY46J ABBUCHUNGVOM PAYPAL-KONTO100318P3TX1433EV',
			bookingText: 'Bank Transfer Credit',
			bankReference: '32-P1-TCS49518',
			raw: { customerReference: '100323-03-100323', textKeyExtension: '000' },
		});
		expect(statements[0].payments[2]).toMatchObject({
			amount: '193282.05',
			direction: 'debit',
			remittanceText: 'Belegloser ZahlungsauftragErstellungsdatum:19.03.2010Anzahl Posten :      94Anw-Nr.: 69725563000',
		});
		expect(statements[1].payments).toEqual([
			expect.objectContaining({
				amount: '1120.00',
				direction: 'credit',
				valueDate: '2010-03-22',
				bookingDate: '2010-03-19',
				remittanceText: 'Belegloser ZahlungsauftragÜberweisung:19.03.2010Anzahl Posten :7Anw-Nr.: 69725663086',
			}),
		]);
		expect(statements[1].closingBalance).toEqual({ amount: '131193.19', currency: 'EUR', date: '2010-03-19' });
	});

	it('falls back to Windows-1252 when the bytes are not UTF-8, and follows a charset the caller names', () => {
		const latin1 = Buffer.from(betterplace('with_binary_character.sta').toString('utf8'), 'latin1');
		const [statement] = parseMt940(latin1, 'latin1.sta');
		expect(statement).toMatchObject({ charset: 'windows-1252', statementId: 'STAR1ÜTßUMS' });
		const named = parseMt940(latin1, 'latin1.sta', 'ISO-8859-1');
		expect(named[1].payments[0].remittanceText).toContain('Überweisung');
	});

	it('rejects sepa_snippet_broken.sta, whose :86: lost its tag, naming the line', () => {
		const error = documentErrorOf(() => parseMt940(betterplace('sepa_snippet_broken.sta'), 'sepa_snippet_broken.sta'));
		expect(error.code).toBe('PARSE_ERROR');
		expect(error.file).toBe('sepa_snippet_broken.sta');
		expect(error.position.line).toBe(6);
		expect(error.message).toMatch(/^sepa_snippet_broken\.sta: line 6: field :25: \(account identification\) cannot come after :61:/);
	});

	it('rejects control characters with their line and column, as in a binary file', () => {
		const text = betterplace('with_binary_character.sta').toString('utf8').replace(':28C:00027/00001', ':28C:00027\u0000/00001');
		const error = documentErrorOf(() => parseMt940(Buffer.from(text), 'nul.sta'));
		expect(error.code).toBe('INVALID_VALUE');
		expect(error.position).toEqual({ line: 3, column: 11 });
		expect(documentErrorOf(() => parseMt940(Buffer.from('%PDF-1.7\n%âãÏÓ\n'), 'x.pdf')).message).toMatch(/no MT940 field/);
	});

	it('reads the one-field snippets: an empty line first, a missing final newline, a currency in :25:', () => {
		expect(parseMt940(betterplace('empty_line.sta'))[0].statementId).toBe('TELEREPORTING');
		expect(parseMt940(betterplace('missing_crlf_at_end.sta'))[0].closingBalance).toEqual({
			amount: '42570.04',
			currency: 'EUR',
			date: '2010-03-23',
		});
		expect(parseMt940(betterplace('currency_in_25.sta'))[0]).toMatchObject({
			bankCode: '51210600',
			accountNumber: '9223382012',
			currency: 'EUR',
		});
		const [onlyDetails] = parseMt940(betterplace('empty_86.sta'));
		expect(onlyDetails.payments).toEqual([]);
		expect(parseMt940(cmxl('account_balance_debit.sta'))[0].openingBalance).toEqual({ amount: '-147.64', currency: 'EUR', date: '2014-08-29' });
		expect(parseMt940(cmxl('account_identification_iban.sta'))[0].accountIban).toBe('PL25106000760000888888888888');
	});

	it('reads a statement line without entry date, with funds code N, once it knows the currency', () => {
		const error = documentErrorOf(() => parseMt940(betterplace('empty_entry_date.sta'), 'empty_entry_date.sta'));
		expect(error.message).toMatch(/no currency/);
		const [payment] = parseMt940(betterplace('empty_entry_date.sta'), 'empty_entry_date.sta', { defaultCurrency: 'EUR' })[0].payments;
		expect(payment).toMatchObject({
			amount: '50.00',
			currency: 'EUR',
			direction: 'credit',
			valueDate: '2011-07-01',
			raw: { fundsCode: 'N', typeCode: 'NZ10', customerReference: 'NONREF' },
		});
		expect(payment.bookingDate).toBeUndefined();
	});

	it('reads each amount format of amount_formats.sta, but refuses two opening balances in one statement', () => {
		const lines = betterplace('amount_formats.sta').toString('utf8').trim().split('\n');
		const amounts = lines.map((line) => parseMt940(Buffer.from(line))[0].openingBalance?.amount);
		expect(amounts).toEqual(['380115.12', '380115.10', '380115.00', '0.12', '0.12', '1.12']);
		// the yml keeps the last of the six (1.12); a statement has one opening balance, so this is an error
		const error = documentErrorOf(() => parseMt940(betterplace('amount_formats.sta'), 'amount_formats.sta'));
		expect(error.position.line).toBe(2);
	});
});

describe('parseMt940 on the cmxl samples', () => {
	it('reads three statements: unstructured :86:, wrapped purpose lines, a Polish file with ?38 IBAN and supplementary details', () => {
		const statements = parseMt940(cmxl('mt940.sta'), 'mt940.sta');
		expect(statements.map((s) => [s.statementId, s.statementNumber, s.currency, s.payments.length])).toEqual([
			['131110', '27/01', 'DEM', 11],
			['1234567', '5/1', 'EUR', 2],
			['TELEWIZORY S.A.', '00084/001', 'PLN', 3],
		]);
		for (const s of statements) expect(computedClosingBalance(s)).toBe(s.closingBalance?.amount);
		const [dem, eur, pln] = statements;
		expect(dem.payments[0]).toMatchObject({
			amount: '6800.00',
			direction: 'debit',
			valueDate: '2013-10-17',
			remittanceText: '999PN5477SCHECK-NR. 0000016703074',
			raw: { typeCode: 'NCHK', customerReference: '16703074' },
		});
		expect(eur.payments[0]).toMatchObject({
			amount: '800.00',
			direction: 'debit',
			valueDate: '2002-11-01',
			bookingDate: '2002-11-02',
			payerName: 'MUELLER',
			remittanceText: 'Miete November',
			bookingText: 'DAUERAUFTRAG',
			bankReference: '55555',
		});
		expect(eur.payments[1]).toMatchObject({
			amount: '3000.00',
			payerName: 'MUELLER',
			payerBankCode: '50060400',
			payerAccountNumber: '0847564700',
			remittanceText: 'Gehalt OktoberFirmaMustermannGmbH',
		});
		expect(pln).toMatchObject({ bankCode: 'BPHKPLPK', accountNumber: '320000546101' });
		expect(pln.payments[0]).toMatchObject({
			amount: '20000.00',
			payerName: 'HUTA SZKLA TOPIC ULPRZEMYSLOWA 67 32-669 WROCLAW',
			payerIban: 'PL08106000760000777777777777',
			bookingText: 'Wyplata-(dysp/przel)',
			bankReference: '8327000090031789',
			raw: { supplementaryDetails: 'Card transaction', typeCode: 'FMSC' },
		});
		expect(pln.payments[2]).toMatchObject({
			amount: '40.00',
			bookingText: 'Uznanie kwotą odsetek',
			remittanceText: 'Odsetki od lokaty nr 101000022086',
		});
	});

	it('splits the SEPA keywords of a direct debit: EREF, MREF, CRED and SVWZ', () => {
		const [payment] = parseMt940(cmxl('statement_details.sta'), 'statement_details.sta', { defaultCurrency: 'EUR' })[0].payments;
		expect(payment).toMatchObject({
			amount: '1.62',
			direction: 'debit',
			valueDate: '2014-09-01',
			bookingDate: '2014-09-02',
			payerName: 'Peter Pan',
			payerBic: 'HYVEDEMMXXX',
			endToEndId: 'TRX-0A4A47C3-F846-4729-8A1B-5DF620F',
			remittanceText: 'FOO TRX-0A4A47C3-F846-4729-8A1B-5DF620F',
			bankReference: '025498557/000001',
			bookingText: 'SEPA LASTSCHRIFT KUNDE',
			raw: {
				customerReference: '0000549855700010',
				MREF: 'CAC97D2144174318AC18D9BF815BD4FB',
				CRED: 'DE98ZZZ09999999999',
				textKeyExtension: '171',
			},
		});
	});
});

describe('parseMt940 line and envelope rules', () => {
	const snippet = () => betterplace('sepa_snippet.sta').toString('utf8');
	/** Envelope lines shift the line numbers; everything else must stay the same. */
	const withoutLines = (statements: Statement[]) =>
		statements.map((s) => ({ ...s, payments: s.payments.map((p) => ({ ...p, position: { ...p.position, line: 0 } })) }));

	it('reads CRLF and CR line ends like LF', () => {
		const lf = parseMt940(Buffer.from(snippet()), undefined, EXCERPT);
		expect(parseMt940(Buffer.from(snippet().replace(/\n/g, '\r\n')), undefined, EXCERPT)).toEqual(lf);
		expect(parseMt940(Buffer.from(snippet().replace(/\n/g, '\r')), undefined, EXCERPT)).toEqual(lf);
		// a DOS end-of-file mark after the last line, and a :NS: field that must not be glued to the :86: before it
		expect(parseMt940(Buffer.from(`${snippet()}\u001A`), undefined, EXCERPT)).toEqual(lf);
		const withNs = snippet().replace('?70Empfaenger bei DRESDE\n', '?70Empfaenger bei DRESDE\n:NS:22Kontoinhaber\n');
		expect(withNs).not.toBe(snippet());
		expect(parseMt940(Buffer.from(withNs), undefined, EXCERPT)[0].payments[2].raw).toEqual(lf[0].payments[2].raw);
	});

	it('reads statements inside SWIFT FIN envelopes {1:…}{2:…}{4: … -}{5:…} and statements without a "-" line', () => {
		const plain = parseMt940(Buffer.from(snippet()), undefined, EXCERPT);
		const blocks = snippet().trim().split(/\n-\n?/).filter(Boolean);
		const enveloped = blocks
			.map((b) => `{1:F01DRESDEFFAXXX0000000000}{2:O9401200070904DRESDEFFAXXX00000000000709041200N}{4:\n${b}\n-}{5:{CHK:A1B2C3D4E5F6}}`)
			.join('\n');
		expect(withoutLines(parseMt940(Buffer.from(enveloped), undefined, EXCERPT))).toEqual(withoutLines(plain));
		const noSeparators = blocks.join('\n');
		expect(withoutLines(parseMt940(Buffer.from(noSeparators), undefined, EXCERPT))).toEqual(withoutLines(plain));
	});

	it('takes an entry date across New Year into the neighbouring year, and two-digit years by the POSIX rule', () => {
		const entry = (line: string) => parseMt940(Buffer.from(`:60F:C091229EUR0,\n:61:${line}\n:86:166?00GUTSCHRIFT`))[0].payments[0];
		expect(entry('0912300104CR50990,05NTRFNONREF//0724710333343453')).toMatchObject({ valueDate: '2009-12-30', bookingDate: '2010-01-04' });
		expect(entry('1001021230CR50990,05NTRFNONREF')).toMatchObject({ valueDate: '2010-01-02', bookingDate: '2009-12-30' });
		expect(entry('991231C1,NTRFNONREF').valueDate).toBe('1999-12-31');
		expect(entry('680101C1,NTRFNONREF').valueDate).toBe('2068-01-01');
		expect(entry('690101C1,NTRFNONREF').valueDate).toBe('1969-01-01');
	});

	it('reads an empty :86: and a :61: without :86: as payments without remittance text', () => {
		const text = ':20:X\n:25:50880050/0194787400888\n:60F:C070903EUR0,\n:61:0709070904CR10,NTRFNONREF\n:86:\n:61:0709070904CR5,NTRFNONREF\n:62F:C070904EUR15,\n';
		const [statement] = parseMt940(Buffer.from(text));
		expect(statement.payments.map((p) => [p.amount, p.remittanceText])).toEqual([
			['10.00', ''],
			['5.00', ''],
		]);
	});

	it('names the line of an impossible date and of an unreadable statement line', () => {
		const base = snippet();
		const badDate = documentErrorOf(() => parseMt940(Buffer.from(base.replace(':61:0709070904CR50990,05', ':61:0713070904CR50990,05')), 'd.sta', EXCERPT));
		expect(badDate.message).toBe('d.sta: line 5: "071307" is not a valid date');
		const badLine = documentErrorOf(() => parseMt940(Buffer.from(base.replace(':61:0709070904CR50990,05', ':61:0709070904XR50990,05')), 'l.sta', EXCERPT));
		expect(badLine.position.line).toBe(5);
		expect(badLine.message).toMatch(/cannot be read/);
		const twice = documentErrorOf(() => parseMt940(Buffer.from(base.replace(':86:166?00GUTSCHRIFT?100399?20EREF+TFNR 0300300004', ':86:166\n:86:166?00GUTSCHRIFT?100399?20EREF+TFNR 0300300004')), 't.sta', EXCERPT));
		expect(twice.message).toMatch(/line 12: a second :86:/);
	});
});
