import Big from 'big.js';

import { DocumentError } from '../DocumentError';
import { decodeBytes, decodeText, detectBom, normaliseCharset } from '../text';
import { compactIdentifier, looksLikeBic } from './identifiers';
import { interner, type Interner } from './interner';
import { formatAmount } from './money';
import { findCreditorReferences, findInvoiceNumbers } from './remittance';
import { shapePayment, shapeStatement } from './shape';
import { daysInMonth, isoDate } from '../values';
import { checkStatementBalance } from './balance';
import { refuseTooLarge, type ParseLimits } from './limits';
import type { Balance, Payment, PaymentDirection, Statement } from './types';

/**
 * SWIFT MT940 customer statements, with the German `:86:` layout (DFÜ-Abkommen / DK "SEPA" format).
 *
 * Reading rules, each for a file seen in the wild:
 * - Lines end in CRLF, LF or CR; the last one may have none; a DOS end-of-file mark (Ctrl-Z) at the end is dropped.
 * - A statement ends at a `-` line, at `-}` of a SWIFT FIN envelope (`{1:…}{2:…}{4:` … `-}{5:…}`), or where
 *   the next `:20:` begins. Lines before the first field of a statement (bank headers) are ignored.
 * - A line that does not start with `:NN:` continues the field before it. Continuation lines of `:86:`
 *   are joined with nothing in between: banks wrap at 65 characters, even inside a word or a `?2x` code.
 * - The fields of a statement must come in SWIFT's order (:20: :21: :25: :28C: :60F: (:61: :86:)* :62F:
 *   :64: :65: :86:). A field out of order means a line lost its tag or the statement is cut; that is an
 *   error naming the line, not something to guess around. Snippets that only hold some fields are fine.
 * - Charset: a BOM wins, then the caller's setting, then UTF-8 if the bytes are valid UTF-8, else
 *   Windows-1252 (MT940 from German banks is usually Latin-1; Windows-1252 is its superset and is what
 *   the WHATWG decoders do for "ISO-8859-1" anyway). Control characters are refused.
 * - Value date YYMMDD: 69–99 are 1969–1999, 00–68 are 2000–2068 (the POSIX rule). The entry date MMDD
 *   takes the value date's year, one year less or more when the two lie across New Year.
 * - `C`/`D` are credit/debit; `RC` (reversal of a credit) takes money out, `RD` (reversal of a debit) brings it
 *   back; the letter after the mark is the funds code (the currency's third letter, e.g. R for EUR).
 * - `:86:` starting with a 3-digit business code (GVC) and a separator (`?`) is structured: `?00` booking text,
 *   `?10` primanota, `?20`–`?29` and `?60`–`?63` purpose (joined with nothing in between), `?30` BLZ/BIC, `?31`
 *   account/IBAN, `?32`–`?33` name, `?34` text key extension, `?38` IBAN (some banks). SEPA keywords in the
 *   purpose (EREF+ KREF+ MREF+ CRED+ DEBT+ SVWZ+ ABWA+ ABWE+ …) are split out; the remittance text is what
 *   follows SVWZ+, else the whole purpose. Any other `:86:` is free text and is the remittance text.
 */

export interface Mt940Options extends ParseLimits {
	/** the file's charset when the user knows it; otherwise UTF-8, falling back to Windows-1252 */
	charset?: string;
	/** the currency when a statement has no balance to take it from (snippets) */
	defaultCurrency?: string;
	/** open invoice numbers to look for in the remittance texts */
	knownInvoiceNumbers?: readonly string[];
	/**
	 * Default true: every statement must add up (opening balance + entries = closing balance), or the whole
	 * file is refused. False only for reading excerpts and hand-made samples whose balances were never kept.
	 */
	checkBalances?: boolean;
}

interface Field {
	tag: string;
	/** the content's lines; the first is what follows `:tag:` */
	lines: string[];
	line: number;
}

type Chunk = { kind: 'field'; field: Field } | { kind: 'end'; line: number };

/** The order SWIFT gives the fields of a statement; fields of the same rank may repeat where noted. */
const RANK: Record<string, number> = {
	'20': 0,
	'21': 1,
	'13': 1,
	// MT942: :34F: floor limit, then :13D: date-time indication
	'13D': 3,
	'25': 2,
	'25P': 2,
	'28': 3,
	'28C': 3,
	'34F': 3,
	'60F': 4,
	'60M': 4,
	'61': 5,
	'62F': 6,
	'62M': 6,
	'90D': 6,
	'90C': 6,
	'64': 7,
	'65': 8,
};

/** Tags that end an :86: field; any other `:NN:` at the start of one of its lines is its text. */
const KNOWN_TAGS = new Set([...Object.keys(RANK), '86', 'NS']);

const FIELD_NAMES: Record<string, string> = {
	'20': 'transaction reference',
	'21': 'related reference',
	'25': 'account identification',
	'28C': 'statement number',
	'28': 'statement number',
	'60F': 'opening balance',
	'60M': 'intermediate opening balance',
	'61': 'statement line',
	'86': 'information to account owner',
	'62F': 'closing balance',
	'62M': 'intermediate closing balance',
	'64': 'closing available balance',
	'65': 'forward available balance',
};

export function parseMt940(bytes: Uint8Array, file?: string, options: Mt940Options | string = {}): Statement[] {
	const opts: Mt940Options = typeof options === 'string' ? { charset: options } : options;
	refuseTooLarge(bytes, 'MT940', file, opts);
	const { text: decoded, charset } = decodeMt940(bytes, file, opts.charset);
	const text = withoutFraming(decoded);
	refuseControlCharacters(text, file);
	const statements: Statement[] = [];
	let anyField = false;
	let builder: StatementBuilder | undefined;
	let entryNumber = 0;
	const intern = interner();
	const finishCurrent = () => {
		if (builder) statements.push(builder.finish());
		builder = undefined;
	};
	// the fields are read one at a time, so that only the current statement's entries are held besides the output
	for (const chunk of splitFields(text)) {
		if (chunk.kind === 'end') {
			finishCurrent();
			continue;
		}
		anyField = true;
		const { field } = chunk;
		if (field.tag === '20' && builder?.hasFields) finishCurrent();
		builder ??= new StatementBuilder(statements.length + 1, field.line, file, charset, opts, intern);
		if (field.tag === '61') entryNumber++;
		builder.add(field, entryNumber);
	}
	finishCurrent();
	if (!anyField) {
		// without a field no statement was started, so no other error can have come first
		throw new DocumentError(
			'PARSE_ERROR',
			'the file holds no MT940 field (no line starts with a tag such as :20:, :25:, :60F: or :61:)',
			file,
		);
	}
	return statements;
}

function decodeMt940(bytes: Uint8Array, file: string | undefined, charset: string | undefined): { text: string; charset: string } {
	const bom = detectBom(bytes);
	if (bom) return { text: decodeText(bytes, 'utf-8', file), charset: bom.charset };
	if (charset) return { text: decodeText(bytes, charset, file), charset: normaliseCharset(charset) };
	try {
		return { text: decodeBytes(bytes, 'utf-8', file), charset: 'utf-8' };
	} catch {
		return { text: decodeBytes(bytes, 'windows-1252', file), charset: 'windows-1252' };
	}
}

function refuseControlCharacters(text: string, file: string | undefined): void {
	// eslint-disable-next-line no-control-regex -- finding control characters is the point of this check
	const bad = /[\u0000-\u0008\u000B\u000C\u000E-\u0019\u001B-\u001F\u007F]|\u001A(?![\s\u001A]*$)/.exec(text);
	if (!bad) return;
	const before = text.slice(0, bad.index);
	const line = before.split(/\r\n|\r|\n/).length;
	const column = bad.index - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
	const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
	throw new DocumentError(
		'INVALID_VALUE',
		`control character U+${code} in the text: an MT940 file holds printable characters only (is this a binary file?)`,
		file,
		{ line, column },
	);
}

/**
 * SWIFT and bank gateways frame each message with transmission control bytes (SOH before `{1:`, ETX after
 * `-}`, sometimes STX/EOT): they stand at the start or end of the text or of a line, or next to a block brace.
 * There they are framing, not text, and are dropped; anywhere else they are refused like any control character.
 */
function withoutFraming(text: string): string {
	// eslint-disable-next-line no-control-regex -- removing transmission control bytes is the point
	return text.replace(/(^|[\r\n}])[\u0001-\u0004]+|[\u0001-\u0004]+(?=[\r\n{]|$)/g, '$1');
}

/** DOS programs ended text files with Ctrl-Z (U+001A); some bank exports still do. */
function withoutEndOfFileMark(text: string): string {
	let end = text.length;
	while (end > 0 && (text[end - 1] === '\u001A' || /\s/.test(text[end - 1]))) end--;
	return text.slice(0, end).length < text.length && text.slice(end).includes('\u001A') ? text.slice(0, end) : text;
}

/**
 * The lines of the text as split(/\r\n|\r|\n/) would give them, one at a time (no array of every line of a
 * 50 MB file), each with its 1-based number.
 */
function* textLines(text: string): Generator<[string, number]> {
	let start = 0;
	let number = 1;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c !== 0x0a && c !== 0x0d) continue;
		yield [text.slice(start, i), number++];
		if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
		start = i + 1;
	}
	yield [text.slice(start), number];
}

/**
 * Cuts the text into fields and statement ends, following the line rules above. A field is handed out once it
 * is complete (when the next field or statement end begins, or the text ends), in the order of the file.
 */
function* splitFields(text: string): Generator<Chunk> {
	let current: Field | undefined;
	let pending: Field | undefined;
	const end = function* (lineNumber: number): Generator<Chunk> {
		if (pending) yield { kind: 'field', field: pending };
		pending = current = undefined;
		yield { kind: 'end', line: lineNumber };
	};
	for (const [whole, lineNumber] of textLines(withoutEndOfFileMark(text))) {
		let line = whole;
		if (line.startsWith('{')) {
			// SWIFT FIN envelope: {1:…}{2:…}{3:…}{4: opens the text block, -} closes it, {5:…} is the trailer
			const body = line.indexOf('{4:');
			if (body < 0) {
				current = undefined;
				continue;
			}
			yield* end(lineNumber);
			line = line.slice(body + 3);
			if (line.trim() === '') continue;
		}
		const trimmed = line.trim();
		if (/^-(?:\}.*)?$/.test(trimmed)) {
			yield* end(lineNumber);
			// several FIN messages on one line: -}{5:…}{1:…}{2:…}{4: opens the next text block
			const next = trimmed.indexOf('{4:');
			if (next < 0 || trimmed.slice(next + 3).trim() === '') continue;
			line = trimmed.slice(next + 3);
		}
		if (line.trim() === '') continue;
		// :NS: (non-SWIFT, in MT942 and some MT940) is a field too, or its text would be glued to the one before
		const tag = /^:(\d{2}[A-Z]?|NS):/.exec(line);
		// in the text of :86: a line such as ":12:11 Uhr" is a time, not a field: only known tags end it
		if (tag && !(current?.tag === '86' && !KNOWN_TAGS.has(tag[1]))) {
			if (pending) yield { kind: 'field', field: pending };
			pending = current = { tag: tag[1], lines: [line.slice(tag[0].length)], line: lineNumber };
		} else if (current) {
			current.lines.push(line);
		}
		// lines before the first field of a statement are bank headers ("940", a BIC): nothing to read
	}
	if (pending) yield { kind: 'field', field: pending };
}

interface PendingEntry {
	amount: Big;
	direction: PaymentDirection;
	reversal: boolean;
	valueDate: string;
	bookingDate?: string;
	line: number;
	entry: number;
	raw: Record<string, string>;
	bankReference?: string;
	/** the lines of its :86:, also when the bank repeats :86: for each detail line */
	detailLines?: string[];
}

class StatementBuilder {
	hasFields = false;
	private rank = -1;
	private lastTag?: string;
	private readonly seen = new Set<string>();
	private readonly entries: PendingEntry[] = [];
	private readonly statement: Statement;
	private accountCurrency?: string;

	constructor(
		private readonly index: number,
		private readonly startLine: number,
		private readonly file: string | undefined,
		charset: string,
		private readonly options: Mt940Options,
		private readonly intern: Interner,
	) {
		this.statement = { format: 'mt940', charset, payments: [], skipped: 0, skippedEntries: [], sourceFile: file };
	}

	add(field: Field, entryNumber: number): void {
		this.hasFields = true;
		const { tag } = field;
		const first = field.lines[0].trim();

		if (tag === '86') {
			this.addDetails(field);
			this.lastTag = tag;
			return;
		}
		const rank = RANK[tag];
		if (rank === undefined) {
			// a tag this reader does not know (e.g. a bank's own) carries nothing a payment needs
			this.lastTag = tag;
			return;
		}
		if (rank < this.rank || (this.seen.has(tag) && !['61', '65', '90D', '90C'].includes(tag))) {
			throw this.error(
				field.line,
				`field :${tag}: (${FIELD_NAMES[tag] ?? 'field'}) cannot come after :${this.lastTag}: (${FIELD_NAMES[this.lastTag ?? ''] ?? 'field'}); ` +
					`the statement that starts at line ${this.startLine} is malformed (a line lost its tag, or a "-" line or :20: is missing)`,
			);
		}
		this.rank = rank;
		this.seen.add(tag);
		this.lastTag = tag;

		switch (tag) {
			case '20':
				this.statement.statementId = first;
				break;
			case '25':
				this.readAccount(first);
				break;
			case '28':
			case '28C':
				this.statement.statementNumber = first;
				break;
			case '60F':
			case '60M':
				this.statement.openingBalance = this.readBalance(first, field.line);
				break;
			case '62F':
			case '62M':
				this.statement.closingBalance = this.readBalance(first, field.line);
				break;
			case '64':
				this.statement.availableBalance = this.readBalance(first, field.line);
				break;
			case '61':
				this.entries.push(this.readStatementLine(field, entryNumber));
				break;
		}
	}

	finish(): Statement {
		const s = this.statement;
		s.currency = s.openingBalance?.currency ?? s.closingBalance?.currency ?? this.accountCurrency;
		const currency = s.currency ?? this.options.defaultCurrency;
		if (!currency && this.entries.length > 0) {
			throw this.error(
				this.startLine,
				'the statement has entries but no currency: it has no :60F:/:62F: balance and :25: names none (set a default currency)',
			);
		}
		// an MT942 interim report (:13D:, :34F:, :90D:/:90C:) has no closing balance; an MT940 statement ends with one
		const interim = ['13D', '34F', '90D', '90C'].some((tag) => this.seen.has(tag));
		if (s.statementId !== undefined && !interim && (s.openingBalance || this.entries.length > 0) && !s.closingBalance) {
			throw this.error(
				this.startLine,
				`${this.label()} does not end with its closing balance (:62F:): the file is cut off or damaged; nothing from it is imported`,
			);
		}
		if (this.options.checkBalances !== false) checkStatementBalance({
			statement: this.label(),
			opening: s.openingBalance,
			closing: s.closingBalance,
			entries: this.entries,
			file: this.file,
			position: { line: this.startLine },
		});
		for (const entry of this.entries) s.payments.push(this.toPayment(entry, currency ?? ''));
		return shapeStatement(s);
	}

	/** "statement 2 (:20: STARTUMS, :28C: 00001/001)": how a user finds the statement in the file. */
	private label(): string {
		const names = [this.statement.statementId && `:20: ${this.statement.statementId}`, this.statement.statementNumber && `:28C: ${this.statement.statementNumber}`];
		const known = names.filter(Boolean).join(', ');
		return `statement ${this.index}${known ? ` (${known})` : ''}`;
	}

	private readAccount(value: string): void {
		const compact = value.replace(/\s+/g, '');
		if (/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(compact)) {
			this.statement.accountIban = compact;
			return;
		}
		const slash = /^([^/]+)\/(.+)$/.exec(compact);
		if (!slash) {
			this.statement.accountNumber = compact;
			return;
		}
		this.statement.bankCode = slash[1];
		// German banks append the account's currency: 51210600/9223382012EUR
		const withCurrency = /^(\d+)([A-Z]{3})$/.exec(slash[2]);
		if (withCurrency) {
			this.statement.accountNumber = withCurrency[1];
			this.accountCurrency = withCurrency[2];
		} else if (/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(slash[2])) {
			this.statement.accountIban = slash[2];
		} else {
			this.statement.accountNumber = slash[2];
		}
	}

	private readBalance(value: string, line: number): Balance {
		const m = /^([CD])(\d{6})([A-Z]{3})(\d[\d,]*)$/.exec(value.replace(/\s+$/, ''));
		if (!m) {
			throw this.error(line, `"${value}" is not a balance (C or D, date YYMMDD, currency, amount with decimal comma)`);
		}
		const amount = this.readAmount(m[4], line);
		return {
			amount: formatAmount(m[1] === 'D' && amount.gt(0) ? amount.neg() : amount, m[3]),
			currency: m[3],
			date: this.readDate(m[2], line),
		};
	}

	private readStatementLine(field: Field, entry: number): PendingEntry {
		const lines = field.lines.map((l) => l.trim());
		// some Sparkassen break the line between the debit/credit mark and the amount
		if (lines.length > 1 && /^\d{6}(?:\d{4})?R?[CD][A-Z]?$/.test(lines[0])) lines.splice(0, 2, lines[0] + lines[1]);
		const m = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d[\d,]*)(?:([A-Z][A-Z0-9]{3})(.*))?$/.exec(lines[0]);
		if (!m) {
			throw this.error(
				field.line,
				`the statement line ":61:${lines[0]}" cannot be read: expected value date YYMMDD, optional entry date MMDD, C/D/RC/RD, amount, type code`,
			);
		}
		const [, value, entryDate, mark, fundsCode, amountText, typeCode, references = ''] = m;
		const valueDate = this.readDate(value, field.line);
		const raw: Record<string, string> = { statementLine: field.lines.join('\n') };
		if (fundsCode) raw.fundsCode = fundsCode;
		if (typeCode) raw.typeCode = typeCode;
		const slashes = references.indexOf('//');
		const customerReference = (slashes < 0 ? references : references.slice(0, slashes)).trim();
		const bankReference = slashes < 0 ? undefined : references.slice(slashes + 2).trim() || undefined;
		if (customerReference) raw.customerReference = customerReference;
		if (lines.length > 1 && lines.slice(1).join(' ').trim()) raw.supplementaryDetails = lines.slice(1).join(' ').trim();
		return {
			amount: this.readAmount(amountText, field.line),
			direction: mark === 'C' || mark === 'RD' ? 'credit' : 'debit',
			reversal: mark.startsWith('R'),
			valueDate,
			bookingDate: entryDate ? this.entryDate(valueDate, entryDate, field.line) : undefined,
			line: field.line,
			entry,
			raw,
			bankReference,
		};
	}

	private addDetails(field: Field): void {
		const entry = this.entries[this.entries.length - 1];
		if (this.lastTag === '61' && entry && !entry.detailLines) {
			entry.detailLines = [...field.lines];
			return;
		}
		if (this.lastTag === '86' && this.rank === RANK['61'] && entry?.detailLines) {
			// some banks write each detail line as its own :86: ("?20…", "?21…"); a new business code starts a second one
			if (/^\d{3}(?:[^A-Za-z0-9\s]\d{2}|\s*$)/.test(field.lines[0])) {
				throw this.error(field.line, 'a second :86: follows the same :61: statement line');
			}
			entry.detailLines.push(...field.lines);
			return;
		}
		// :86: before the first :61: or after the closing balance is about the statement as a whole
	}

	private toPayment(entry: PendingEntry, currency: string): Payment {
		const d = entry.detailLines ? parseDetails(joinWrapped(entry.detailLines)) : undefined;
		const { intern } = this;
		const raw = { ...entry.raw, ...(d?.raw ?? {}) };
		for (const key of Object.keys(raw)) raw[key] = intern(raw[key]);
		const remittanceText = d?.remittanceText ?? '';
		const payment: Payment = {
			amount: intern(formatAmount(entry.amount, currency)),
			currency,
			direction: entry.direction,
			reversal: entry.reversal || undefined,
			bookingDate: intern(entry.bookingDate),
			valueDate: intern(entry.valueDate),
			payerName: intern(d?.name),
			payerIban: intern(d?.iban),
			payerBic: intern(d?.bic),
			payerAccountNumber: intern(d?.accountNumber),
			payerBankCode: intern(d?.bankCode),
			remittanceText,
			bookingText: intern(d?.bookingText),
			transactionCode: intern(d?.gvc),
			endToEndId: d?.endToEndId,
			creditorReference: findCreditorReferences(d?.purpose ?? remittanceText)[0],
			bankReference: entry.bankReference,
			accountIban: this.statement.accountIban,
			accountNumber: this.statement.accountNumber,
			invoiceNumbers: findInvoiceNumbers(remittanceText, this.options.knownInvoiceNumbers),
			sourceFile: this.file,
			position: { statement: this.index, entry: entry.entry, line: entry.line },
			raw,
		};
		return shapePayment(payment);
	}

	private readAmount(text: string, line: number): Big {
		if (!/^\d+,\d*$/.test(text)) {
			// without its comma the amount was cut, or written by a program that does not know MT940: never guess
			throw this.error(line, `"${text}" is not an MT940 amount (digits with one decimal comma, e.g. 1234,56)`);
		}
		const [whole, fraction = ''] = text.split(',');
		return new Big(`${whole}.${fraction || '0'}`);
	}

	private readDate(yymmdd: string, line: number): string {
		const yy = Number(yymmdd.slice(0, 2));
		const year = yy >= 69 ? 1900 + yy : 2000 + yy;
		return this.checkedDate(year, Number(yymmdd.slice(2, 4)), Number(yymmdd.slice(4, 6)), yymmdd, line);
	}

	/** The entry (booking) date MMDD lies within a few days of the value date, possibly across New Year. */
	private entryDate(valueDate: string, mmdd: string, line: number): string {
		const valueYear = Number(valueDate.slice(0, 4));
		const valueMonth = Number(valueDate.slice(5, 7));
		const month = Number(mmdd.slice(0, 2));
		let year = valueYear;
		if (valueMonth === 12 && month === 1) year++;
		else if (valueMonth === 1 && month === 12) year--;
		return this.checkedDate(year, month, Number(mmdd.slice(2, 4)), mmdd, line);
	}

	/**
	 * German banks settle period ends on the 30th of every month, 30 February included: such a day past the end of
	 * a real month is read as the bank means it, the month's last day. Days above 31 and months above 12 are errors.
	 */
	private checkedDate(year: number, month: number, day: number, text: string, line: number): string {
		const date = isoDate(year, month, day) ?? (month >= 1 && month <= 12 && day >= 29 && day <= 31 ? isoDate(year, month, daysInMonth(year, month)) : undefined);
		if (!date) throw this.error(line, `"${text}" is not a valid date`);
		return date;
	}

	private error(line: number, reason: string): DocumentError {
		return new DocumentError('PARSE_ERROR', reason, this.file, { line });
	}
}

/** SWIFT lines hold at most 65 characters (after the tag on a field's first line). */
const LINE_WIDTH = 65;

/**
 * Joins the lines of a wrapped field with nothing in between. A trailing space is content only on a
 * full line, where the writer cut the text just after it ("…Verwendungszweck mit " + "140 Stellen");
 * on a shorter line it is padding that some banks add to every line.
 */
function joinWrapped(lines: string[]): string {
	return lines.map((l) => (l.length >= LINE_WIDTH ? l : l.replace(/\s+$/, ''))).join('');
}

interface Details {
	gvc?: string;
	bookingText?: string;
	purpose: string;
	remittanceText: string;
	name?: string;
	iban?: string;
	bic?: string;
	accountNumber?: string;
	bankCode?: string;
	endToEndId?: string;
	raw: Record<string, string>;
}

const SEPA_KEYWORDS = /(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|IBAN|BIC)\+/g;
const IBAN_SHAPE = /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/;

/** Reads a `:86:` field whose continuation lines are already joined. */
function parseDetails(content: string): Details {
	const text = content.trim();
	const structured = /^(\d{3})(?:([^A-Za-z0-9\s])(?=\d{2})([\s\S]*))?$/.exec(text);
	if (!structured) {
		return { purpose: text, remittanceText: text, raw: text ? { details: text } : {} };
	}
	const [, gvc, separator, body = ''] = structured;
	const raw: Record<string, string> = { details: text, gvc };
	const subfields = new Map<number, string>();
	if (separator) {
		for (const part of body.split(separator)) {
			const m = /^(\d{2})([\s\S]*)$/.exec(part);
			if (!m) continue;
			const code = Number(m[1]);
			subfields.set(code, (subfields.get(code) ?? '') + m[2]);
		}
	}
	const sub = (code: number) => {
		const v = subfields.get(code)?.trim();
		return v ? v : undefined;
	};
	const purposeCodes = [...subfields.keys()].filter((c) => (c >= 20 && c <= 29) || (c >= 60 && c <= 63)).sort((a, b) => a - b);
	const purpose = purposeCodes.map((c) => subfields.get(c)).join('').trim();
	if (purpose) raw.purpose = purpose;
	if (sub(10)) raw.primaNota = sub(10)!;
	if (sub(34)) raw.textKeyExtension = sub(34)!;
	for (const code of subfields.keys()) {
		if (code >= 70 && sub(code)) raw[`?${code}`] = sub(code)!;
	}

	// SEPA keywords: each value runs to the next keyword
	const keywords: Record<string, string> = {};
	const hits = [...purpose.matchAll(SEPA_KEYWORDS)];
	hits.forEach((hit, i) => {
		const end = i + 1 < hits.length ? hits[i + 1].index : purpose.length;
		const value = purpose.slice(hit.index + hit[0].length, end).trim();
		keywords[hit[1]] = keywords[hit[1]] ? `${keywords[hit[1]]} ${value}` : value;
		raw[hit[1]] = keywords[hit[1]];
	});

	const bankCode = sub(30);
	const account = sub(31)?.replace(/\s+/g, '');
	const altIban = sub(38)?.replace(/\s+/g, '');
	const name = [subfields.get(32) ?? '', subfields.get(33) ?? ''].join('').trim();
	const eref = keywords.EREF;
	return {
		gvc,
		bookingText: sub(0),
		purpose,
		remittanceText: keywords.SVWZ ?? purpose,
		name: name || undefined,
		iban:
			account && IBAN_SHAPE.test(account)
				? account
				: altIban && IBAN_SHAPE.test(altIban)
					? altIban
					: keywords.IBAN
						? compactIdentifier(keywords.IBAN)
						: undefined,
		bic: bankCode && looksLikeBic(bankCode) ? bankCode : keywords.BIC || undefined,
		accountNumber: account && !IBAN_SHAPE.test(account) ? account : undefined,
		bankCode: bankCode && !looksLikeBic(bankCode) ? bankCode : undefined,
		endToEndId: eref && !/^(NOTPROVIDED|NONREF)$/i.test(eref) ? eref : undefined,
		raw,
	};
}
