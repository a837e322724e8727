import Big from 'big.js';

import { DocumentError } from '../DocumentError';
import { decodeXml } from '../text';
import { parseXml, type XmlElement } from '../xml';
import { compactIdentifier, isValidIban } from './identifiers';
import { formatAmount, PLAIN_DECIMAL } from './money';
import { findCreditorReferences, findInvoiceNumbers } from './remittance';
import { shapePayment, shapeStatement } from './shape';
import { isIsoCalendarDate } from '../values';
import { checkStatementBalance, type BookedAmount } from './balance';
import { refuseTooLarge, type ParseLimits } from './limits';
import type { Balance, Payment, PaymentDirection, PaymentPosition, SkippedEntry, Statement } from './types';

/**
 * ISO 20022 bank-to-customer cash management reports, one reader for the three that carry payments:
 * camt.053 (BankToCustomerStatement, `BkToCstmrStmt/Stmt`, the end-of-day statement), camt.052
 * (BankToCustomerAccountReport, `BkToCstmrAcctRpt/Rpt`, the intraday report) and camt.054
 * (BankToCustomerDebitCreditNotification, `BkToCstmrDbtCdtNtfctn/Ntfctn`, often one notification per batch
 * booking), versions 001.02 to 001.13; 001.02, .04 and .08 are the ones German and Dutch banks send.
 *
 * - Only booked entries are payments (`Sts` BOOK; 001.08 writes `<Sts><Cd>BOOK</Cd></Sts>`). Pending
 *   and informational entries are counted in `skipped`, because their amount may still change.
 * - A batch booking (one `Ntry` with several `NtryDtls/TxDtls`) becomes one payment per transaction,
 *   with the transaction's own amount (`TxDtls/Amt`, else `AmtDtls/TxAmt/Amt`). An entry with a single
 *   transaction keeps the entry's amount: that is what was booked on the account, while `TxDtls/Amt`
 *   may be in the instructed currency (the genkgo 001.04 sample has `<Amt Ccy="SEK">0</Amt>` there).
 * - The counterparty of a credit is the debtor, of a debit the creditor; a reversal (`RvslInd`) turns
 *   the money round but not the parties, so a reversed credit still names its original debtor.
 * - Balances are checked: where a report carries an opening balance (OPBD, or PRCD as German banks send it)
 *   and a closing one (CLBD; in camt.052 also ITBD, the interim booked balance), the booked entries must lead
 *   from the one to the other, or the whole file is refused. camt.054 usually carries no balances.
 * - Every date is a calendar date: 2025-02-30 or 2025-13-01 is an error naming the element.
 */

export type CamtKind = 'camt052' | 'camt053' | 'camt054';

const CAMT_NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.(052|053|054)\.001\.(\d{2})$/;

/** Where each kind keeps its reports, and what a user calls one. */
const LAYOUT: Record<CamtKind, { report: string; item: string; noun: string }> = {
	camt052: { report: 'BkToCstmrAcctRpt', item: 'Rpt', noun: 'account report' },
	camt053: { report: 'BkToCstmrStmt', item: 'Stmt', noun: 'account statement' },
	camt054: { report: 'BkToCstmrDbtCdtNtfctn', item: 'Ntfctn', noun: 'debit/credit notification' },
};

export interface CamtOptions extends ParseLimits {
	knownInvoiceNumbers?: readonly string[];
	/** default true: opening balance + booked entries must give the closing balance (see above) */
	checkBalances?: boolean;
}

export function parseCamt053(bytes: Uint8Array, file?: string, knownInvoiceNumbers: readonly string[] = [], options: CamtOptions = {}): Statement[] {
	return parseCamt(bytes, file, { ...options, knownInvoiceNumbers }, ['camt053']);
}

/**
 * Reads camt.052, camt.053 or camt.054, whichever the namespace says (limited to `accept`). The entries (`Ntry`)
 * are streamed: each is read into payments as soon as it is complete and its XML is let go, so that memory holds
 * the payments and one or two entries, not the tree of the whole file.
 */
export function parseCamt(
	bytes: Uint8Array,
	file?: string,
	options: CamtOptions = {},
	accept: readonly CamtKind[] = ['camt052', 'camt053', 'camt054'],
): Statement[] {
	refuseTooLarge(bytes, accept.map((k) => k.replace('camt', 'camt.')).join('/'), file, options);
	const reader = new CamtReader(accept, { file, knownInvoiceNumbers: options.knownInvoiceNumbers ?? [], checkBalances: options.checkBalances !== false });
	const root = parseXml(decodeXml(bytes, undefined, file), file, {
		stream: { name: 'Ntry', accept: (ntry) => reader.isEntry(ntry), handle: (ntry) => reader.readEntry(ntry) },
	});
	return reader.finish(root);
}

interface StatementContext {
	file?: string;
	knownInvoiceNumbers: readonly string[];
	checkBalances: boolean;
}

/** A statement being read: its head, its payments so far, and the booked amounts for the balance check. */
interface StatementState {
	statement: Statement;
	index: number;
	booked: BookedAmount[];
}

class CamtReader {
	private kind?: CamtKind;
	private readonly statements = new Map<XmlElement, StatementState>();
	private entries = 0;

	constructor(
		private readonly accept: readonly CamtKind[],
		private readonly context: StatementContext,
	) {}

	/** The kind of report the root element declares; throws for any other document or a version before 001.02. */
	kindOf(root: XmlElement): CamtKind {
		if (this.kind) return this.kind;
		const { file } = this.context;
		const match = CAMT_NAMESPACE.exec(root.ns);
		const kind = match ? (`camt${match[1]}` as CamtKind) : undefined;
		if (root.name !== 'Document' || !kind || !this.accept.includes(kind)) {
			const names = this.accept.map((k) => k.replace('camt', 'camt.')).join(' or ');
			throw new DocumentError(
				'UNSUPPORTED_FORMAT',
				`not a ${names === 'camt.053' ? 'camt.053 bank statement' : names}: the root element is <${root.name}> in namespace "${root.ns || 'none'}"`,
				file,
				at(root),
			);
		}
		const version = match![2];
		if (Number(version) < 2) {
			throw new DocumentError('UNSUPPORTED_FORMAT', `${kind.replace('camt', 'camt.')}.001.${version} is not supported; use 001.02 or later`, file, at(root));
		}
		this.kind = kind;
		return kind;
	}

	/** Whether `ntry` is an entry of a statement (report, notification) of the document: Document/BkToCstmrStmt/Stmt/Ntry. */
	isEntry(ntry: XmlElement): boolean {
		const stmt = ntry.parent;
		const report = stmt?.parent;
		const root = report?.parent;
		if (!stmt || !report || !root || root.parent) return false;
		const layout = LAYOUT[this.kindOf(root)];
		return stmt.name === layout.item && stmt.ns === root.ns && report === root.first(layout.report, root.ns);
	}

	readEntry(ntry: XmlElement): void {
		const state = this.stateOf(ntry.parent!);
		const { statement } = state;
		this.entries++;
		const position: PaymentPosition = { statement: state.index + 1, entry: this.entries, line: ntry.line };
		const status = entryStatus(ntry);
		if (status !== 'BOOK') {
			statement.skippedEntries.push({
				position,
				reason: status ? `entry status ${status}: only booked (BOOK) entries are payments` : 'the entry has no status (Sts)',
			} satisfies SkippedEntry);
			return;
		}
		const { file, knownInvoiceNumbers } = this.context;
		const amount = readAmount(ntry, 'Amt', file, true)!;
		state.booked.push({ amount: new Big(amount.amount), direction: readDirection(ntry, file, true)! });
		const { accountIban, accountNumber } = statement;
		for (const payment of readEntry(ntry, position, { accountIban, accountNumber, file, knownInvoiceNumbers })) statement.payments.push(payment);
	}

	/** The statements of the document, each checked against its balances. */
	finish(root: XmlElement): Statement[] {
		const { file } = this.context;
		const kind = this.kindOf(root);
		const layout = LAYOUT[kind];
		const report = root.first(layout.report, root.ns);
		if (!report) throw missing(root, layout.report, file);
		const items = report.all(layout.item, root.ns);
		if (items.length === 0) {
			throw new DocumentError(
				'MISSING_FIELD',
				`the file has no ${layout.noun} (${layout.item}): a ${kind.replace('camt', 'camt.')} needs at least one`,
				file,
				at(report),
			);
		}
		return items.map((stmt) => {
			const { statement, index, booked } = this.stateOf(stmt);
			if (this.context.checkBalances) {
				const name = `${layout.noun} ${index + 1}${statement.statementId ? ` (Id ${statement.statementId})` : ''}`;
				checkStatementBalance({ statement: name, opening: statement.openingBalance, closing: statement.closingBalance, entries: booked, file, position: at(stmt) });
			}
			return shapeStatement(statement);
		});
	}

	/** The state of a statement, its head read when its first entry (or its end) is reached. */
	private stateOf(stmt: XmlElement): StatementState {
		let state = this.statements.get(stmt);
		if (!state) {
			const kind = this.kindOf(stmt.parent!.parent!);
			const index = stmt.parent!.all(LAYOUT[kind].item, stmt.ns).indexOf(stmt);
			state = { statement: readStatementHead(stmt, kind, this.context.file), index, booked: [] };
			this.statements.set(stmt, state);
		}
		return state;
	}
}

/** The account, identifiers, period and balances of a statement: what comes before its entries. */
function readStatementHead(stmt: XmlElement, kind: CamtKind, file: string | undefined): Statement {
	const acct = stmt.first('Acct');
	if (!acct) throw missing(stmt, 'Acct', file);
	const other = stmt.textAt('Acct/Id/Othr/Id');
	// some banks put the IBAN into Othr/Id (the genkgo 001.04 sample does)
	const accountIban = stmt.textAt('Acct/Id/IBAN') ?? (other && isValidIban(other) ? compactIdentifier(other) : undefined);
	const accountNumber = other && !isValidIban(other) ? other : undefined;
	const statement: Statement = {
		format: kind,
		accountIban,
		accountNumber,
		bankCode: stmt.textAt('Acct/Svcr/FinInstnId/BIC') ?? stmt.textAt('Acct/Svcr/FinInstnId/BICFI'),
		currency: stmt.textAt('Acct/Ccy'),
		statementId: stmt.textAt('Id'),
		statementNumber: stmt.textAt('LglSeqNb') ?? stmt.textAt('ElctrncSeqNb'),
		period: period(stmt, file),
		payments: [],
		skipped: 0,
		skippedEntries: [],
		sourceFile: file,
	};
	readBalances(stmt, statement, kind, file);
	return statement;
}

function readBalances(stmt: XmlElement, statement: Statement, kind: CamtKind, file: string | undefined): void {
	for (const bal of stmt.all('Bal')) {
		const code = bal.textAt('Tp/CdOrPrtry/Cd') ?? bal.textAt('Tp/CdOrPrtry/Prtry');
		const balance = () => readBalance(bal, file);
		// German banks (DK camt) send PRCD, the previous day's closing balance, instead of OPBD
		if (code === 'OPBD' || (code === 'PRCD' && !statement.openingBalance)) statement.openingBalance = balance();
		else if (code === 'CLBD' || (kind === 'camt052' && code === 'ITBD' && !statement.closingBalance)) statement.closingBalance = balance();
		else if (code === 'CLAV') statement.availableBalance = balance();
	}
}

interface EntryContext {
	accountIban?: string;
	accountNumber?: string;
	file?: string;
	knownInvoiceNumbers: readonly string[];
}

function readEntry(ntry: XmlElement, position: PaymentPosition, context: EntryContext): Payment[] {
	const { file } = context;
	const entryAmount = readAmount(ntry, 'Amt', file, true)!;
	const entryDirection = readDirection(ntry, file, true)!;
	const reversal = ntry.textAt('RvslInd') === 'true' || ntry.textAt('RvslInd') === '1';
	const transactions = ntry.findAll('NtryDtls/TxDtls');
	const batch = transactions.length > 1;

	const common = {
		reversal: reversal || undefined,
		bookingDate: isoDate(ntry.first('BookgDt'), file),
		valueDate: isoDate(ntry.first('ValDt'), file),
		accountIban: context.accountIban,
		accountNumber: context.accountNumber,
		sourceFile: file,
	};

	if (transactions.length === 0) {
		const remittanceText = ntry.textAt('AddtlNtryInf') ?? '';
		return [
			finish(
				{
					...common,
					amount: entryAmount.amount,
					currency: entryAmount.currency,
					direction: entryDirection,
					remittanceText,
					bankReference: ntry.textAt('AcctSvcrRef'),
					transactionCode: transactionCode(ntry),
					invoiceNumbers: [],
					position,
				},
				[],
				context.knownInvoiceNumbers,
			),
		];
	}

	return transactions.map((tx, index) => {
		let amount = entryAmount;
		const own = readAmount(tx, 'Amt', file, false) ?? readAmount(tx, 'AmtDtls/TxAmt/Amt', file, false);
		const raw: Record<string, string> = {};
		if (batch) {
			if (!own) {
				throw new DocumentError(
					'MISSING_FIELD',
					`transaction ${index + 1} of a batch booking of ${transactions.length} has no amount (TxDtls/Amt or AmtDtls/TxAmt)`,
					file,
					at(tx),
				);
			}
			amount = own;
		} else if (own && (own.amount !== entryAmount.amount || own.currency !== entryAmount.currency)) {
			raw.transactionAmount = `${own.amount} ${own.currency}`;
		}
		const direction = readDirection(tx, file, false) ?? entryDirection;
		// the other party: the debtor pays us (credit), we pay the creditor (debit); a reversal keeps the parties
		const counterpartyRole = (direction === 'credit') !== reversal ? 'Dbtr' : 'Cdtr';
		const parties = tx.first('RltdPties');
		// no fallback to the other role: that one is the account owner, not the payer
		const role = counterpartyRole;
		const name = partyName(parties, role);
		const ultimate = partyName(parties, role === 'Dbtr' ? 'UltmtDbtr' : 'UltmtCdtr');
		if (ultimate) raw.ultimateParty = ultimate;
		const accountIban = parties?.textAt(`${role}Acct/Id/IBAN`);
		const accountOther = parties?.textAt(`${role}Acct/Id/Othr/Id`);
		const agents = tx.first('RltdAgts');
		const bic =
			agents?.textAt(`${role}Agt/FinInstnId/BICFI`) ?? agents?.textAt(`${role}Agt/FinInstnId/BIC`) ?? undefined;

		const rmt = tx.first('RmtInf');
		const unstructured = (rmt?.all('Ustrd') ?? []).map((u) => u.text).filter(Boolean);
		const structured = rmt?.all('Strd') ?? [];
		const creditorReferences = structured.map((s) => s.textAt('CdtrRefInf/Ref')).filter(isText);
		const referredDocuments = structured.flatMap((s) => s.findAll('RfrdDocInf/Nb').map((n) => n.text)).filter(Boolean);
		const additional = structured.flatMap((s) => s.all('AddtlRmtInf').map((n) => n.text)).filter(Boolean);
		if (creditorReferences.length > 1) raw.creditorReferences = creditorReferences.join(' ');
		const remittanceText = [...unstructured, ...additional].join(' ') || tx.textAt('AddtlTxInf') || ntry.textAt('AddtlNtryInf') || '';
		const endToEndId = tx.textAt('Refs/EndToEndId');
		const mandate = tx.textAt('Refs/MndtId');
		if (mandate) raw.mandateId = mandate;
		const purpose = tx.textAt('Purp/Cd');
		if (purpose) raw.purposeCode = purpose;
		if (batch) raw.batchEntryAmount = `${entryAmount.amount} ${entryAmount.currency}`;

		return finish(
			{
				...common,
				amount: amount.amount,
				currency: amount.currency,
				direction,
				payerName: name,
				payerIban: accountIban ? compactIdentifier(accountIban) : accountOther && isValidIban(accountOther) ? compactIdentifier(accountOther) : undefined,
				payerAccountNumber: !accountIban && accountOther && !isValidIban(accountOther) ? accountOther : undefined,
				payerBic: bic,
				remittanceText,
				endToEndId: endToEndId && endToEndId.toUpperCase() !== 'NOTPROVIDED' ? endToEndId : undefined,
				creditorReference: creditorReferences[0],
				bankReference: tx.textAt('Refs/AcctSvcrRef') ?? ntry.textAt('AcctSvcrRef'),
				transactionCode: transactionCode(tx) ?? transactionCode(ntry),
				invoiceNumbers: [],
				position: { ...position, transaction: index + 1, line: tx.line },
				raw: Object.keys(raw).length ? raw : undefined,
			},
			referredDocuments,
			context.knownInvoiceNumbers,
		);
	});
}

/** Fills invoice numbers (referred documents first) and the creditor reference from the text when the bank gave none. */
function finish(payment: Payment, referredDocuments: string[], known: readonly string[]): Payment {
	const numbers = [...referredDocuments];
	for (const n of findInvoiceNumbers(payment.remittanceText, known)) if (!numbers.includes(n)) numbers.push(n);
	payment.invoiceNumbers = numbers;
	if (!payment.creditorReference) payment.creditorReference = findCreditorReferences(payment.remittanceText)[0];
	return shapePayment(payment);
}

function entryStatus(ntry: XmlElement): string | undefined {
	const sts = ntry.first('Sts');
	if (!sts) return undefined;
	return sts.textAt('Cd') ?? sts.textAt('Prtry') ?? (sts.text || undefined);
}

function transactionCode(el: XmlElement): string | undefined {
	const domain = el.textAt('BkTxCd/Domn/Cd');
	if (domain) {
		return [domain, el.textAt('BkTxCd/Domn/Fmly/Cd'), el.textAt('BkTxCd/Domn/Fmly/SubFmlyCd')].filter(isText).join('/');
	}
	return el.textAt('BkTxCd/Prtry/Cd');
}

function readAmount(
	parent: XmlElement,
	path: string,
	file: string | undefined,
	required: boolean,
): { amount: string; currency: string } | undefined {
	const el = parent.find(path);
	if (!el) {
		if (required) throw missing(parent, path, file);
		return undefined;
	}
	const text = el.text;
	const currency = el.attributes.Ccy;
	if (!PLAIN_DECIMAL.test(text)) {
		throw new DocumentError('INVALID_VALUE', `"${text}" is not an amount (digits with "." as decimal mark)`, file, at(el));
	}
	if (!currency || !/^[A-Z]{3}$/.test(currency)) {
		throw new DocumentError('INVALID_VALUE', `the amount has no valid currency attribute (Ccy="${currency ?? ''}")`, file, at(el));
	}
	return { amount: formatAmount(new Big(text), currency), currency };
}

function readDirection(parent: XmlElement, file: string | undefined, required: boolean): PaymentDirection | undefined {
	const el = parent.first('CdtDbtInd');
	if (!el) {
		if (required) throw missing(parent, 'CdtDbtInd', file);
		return undefined;
	}
	if (el.text === 'CRDT') return 'credit';
	if (el.text === 'DBIT') return 'debit';
	throw new DocumentError('INVALID_VALUE', `CdtDbtInd must be CRDT or DBIT, not "${el.text}"`, file, at(el));
}

function readBalance(bal: XmlElement, file: string | undefined): Balance {
	const amount = readAmount(bal, 'Amt', file, true)!;
	const direction = readDirection(bal, file, true);
	const value = new Big(amount.amount);
	return {
		amount: formatAmount(direction === 'debit' && value.gt(0) ? value.neg() : value, amount.currency),
		currency: amount.currency,
		date: isoDate(bal.first('Dt'), file),
	};
}

/** `<Dt>2014-12-31</Dt>` or `<DtTm>2014-12-31T10:15:00+01:00</DtTm>`: the date as the bank wrote it. */
function isoDate(choice: XmlElement | undefined, file: string | undefined): string | undefined {
	const el = choice?.first('Dt') ?? choice?.first('DtTm');
	return el ? calendarDate(el, file) : undefined;
}

/** The date part of an ISO date or date-time element, which must be a day of the calendar. */
function calendarDate(el: XmlElement, file: string | undefined): string {
	if (!isIsoCalendarDate(el.text)) {
		throw new DocumentError('INVALID_VALUE', `"${el.text}" is not a calendar date (YYYY-MM-DD)`, file, at(el));
	}
	return el.text.slice(0, 10);
}

function period(stmt: XmlElement, file: string | undefined): Statement['period'] {
	const from = stmt.find('FrToDt/FrDtTm');
	const to = stmt.find('FrToDt/ToDtTm');
	if (!from && !to) return undefined;
	return { from: from && calendarDate(from, file), to: to && calendarDate(to, file) };
}

function partyName(parties: XmlElement | undefined, role: string): string | undefined {
	if (!parties) return undefined;
	// 001.02/.04: Dbtr/Nm; 001.08 and later: Dbtr/Pty/Nm
	return parties.textAt(`${role}/Nm`) ?? parties.textAt(`${role}/Pty/Nm`);
}

function isText(value: string | undefined): value is string {
	return value !== undefined && value !== '';
}

function at(el: XmlElement): { line: number; element: string } {
	return { line: el.line, element: el.path };
}

function missing(parent: XmlElement, path: string, file: string | undefined): DocumentError {
	return new DocumentError('MISSING_FIELD', `${path} is missing in ${parent.name}`, file, at(parent));
}
