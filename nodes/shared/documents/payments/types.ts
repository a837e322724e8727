/**
 * Payments as the Accounting FTP Import node hands them to a workflow: one shape for camt.053, MT940,
 * DATEV Buchungsstapel and bank CSV files, so that matching to open invoices does not care where a
 * payment came from.
 *
 * Money is a decimal string ("1234.56"), never a JavaScript number: an amount is always positive and
 * `direction` says which way it went, seen from the statement's own account (credit = money received).
 */

export type PaymentFormat = 'camt053' | 'camt052' | 'camt054' | 'mt940' | 'datev' | 'csv';

export type PaymentDirection = 'credit' | 'debit';

/** Where a payment stands in its file, so that a user can find it again. All numbers are 1-based. */
export interface PaymentPosition {
	/** the statement within the file (camt.053 `Stmt`, MT940 statement); 1 for DATEV and CSV */
	statement: number;
	/** the entry within the file: camt.053 `Ntry`, MT940 `:61:`, DATEV booking row, CSV data row */
	entry: number;
	/** the transaction within a camt.053 batch booking (`NtryDtls/TxDtls`) */
	transaction?: number;
	/** the line of the file where the entry starts */
	line?: number;
}

export interface Payment {
	/** positive decimal with at least the currency's minor units, e.g. "1250.00" */
	amount: string;
	/** ISO 4217 code */
	currency: string;
	/** seen from the statement's own account: credit = money received, debit = money paid out */
	direction: PaymentDirection;
	/** the entry undoes an earlier one (camt.053 `RvslInd`, MT940 `RC`/`RD`, DATEV Generalumkehr) */
	reversal?: boolean;
	/** ISO date YYYY-MM-DD */
	bookingDate?: string;
	/** ISO date YYYY-MM-DD */
	valueDate?: string;
	/** the counterparty: the debtor of a credit, the creditor of a debit */
	payerName?: string;
	payerIban?: string;
	payerBic?: string;
	/** the counterparty's account when it is not an IBAN (MT940 `?31` with a national account number) */
	payerAccountNumber?: string;
	/** the counterparty's bank code when it is not a BIC (MT940 `?30` with a German BLZ) */
	payerBankCode?: string;
	/** what the payer wrote: camt.053 `Ustrd`, MT940 text after `SVWZ+` (else the whole purpose), DATEV Buchungstext */
	remittanceText: string;
	/** the bank's description of the booking: MT940 `?00`, e.g. "GUTSCHRIFT" */
	bookingText?: string;
	/** the bank's transaction code: MT940 GVC, camt.053 `BkTxCd` (domain/family/sub-family or proprietary), DATEV BU-Schlüssel */
	transactionCode?: string;
	endToEndId?: string;
	/** an ISO 11649 creditor reference (`RF…`) or the structured reference the bank delivered */
	creditorReference?: string;
	/** the bank's own reference for the entry (camt.053 `AcctSvcrRef`, MT940 `//` reference) */
	bankReference?: string;
	/** the statement's own account */
	accountIban?: string;
	accountNumber?: string;
	/** DATEV Mandant */
	clientNumber?: string;
	/** invoice numbers the payment names: DATEV Belegfeld 1, camt.053 referred documents, numbers found in the remittance text */
	invoiceNumbers: string[];
	sourceFile?: string;
	position?: PaymentPosition;
	/** the format's own fields that have no place above, by the format's names */
	raw?: Record<string, string>;
}

export interface Balance {
	/** signed decimal: negative when the balance is a debit (the account is overdrawn) */
	amount: string;
	currency: string;
	/** ISO date YYYY-MM-DD */
	date?: string;
}

/** An entry that was read but is not a payment, and why (pending, informational, not on a bank account …). */
export interface SkippedEntry {
	position: PaymentPosition;
	reason: string;
}

export interface Statement {
	format: PaymentFormat;
	accountIban?: string;
	accountNumber?: string;
	/** BLZ or BIC of the statement's bank (MT940 `:25:` before the slash) */
	bankCode?: string;
	/** the account's currency where the file states it */
	currency?: string;
	/** DATEV Mandant */
	clientNumber?: string;
	/** DATEV Berater */
	adviserNumber?: string;
	/** camt.053 `Stmt/Id`, MT940 `:20:`, DATEV Bezeichnung (header field 17) */
	statementId?: string;
	/** camt.053 `LglSeqNb` (else `ElctrncSeqNb`), MT940 `:28C:` */
	statementNumber?: string;
	/** camt.053 `FrToDt`, DATEV "Datum vom/bis" */
	period?: { from?: string; to?: string };
	openingBalance?: Balance;
	closingBalance?: Balance;
	/** camt.053 `CLAV`, MT940 `:64:` */
	availableBalance?: Balance;
	/** the charset the text was decoded with (MT940, DATEV, CSV) */
	charset?: string;
	payments: Payment[];
	/** how many entries were read but are no payments; `skippedEntries` says which and why */
	skipped: number;
	skippedEntries: SkippedEntry[];
	sourceFile?: string;
}
