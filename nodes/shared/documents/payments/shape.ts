import type { Payment, Statement } from './types';

/**
 * Payments and statements go to n8n as JSON items, where the order of the keys is the order a user
 * reads them in. Every parser builds its objects through these, so all formats look alike and no key
 * holds `undefined`. The records make the compiler name any field added to the types but not here.
 */

const PAYMENT_KEYS: Record<keyof Payment, true> = {
	amount: true,
	currency: true,
	direction: true,
	reversal: true,
	bookingDate: true,
	valueDate: true,
	payerName: true,
	payerIban: true,
	payerBic: true,
	payerAccountNumber: true,
	payerBankCode: true,
	remittanceText: true,
	invoiceNumbers: true,
	creditorReference: true,
	endToEndId: true,
	bankReference: true,
	bookingText: true,
	transactionCode: true,
	accountIban: true,
	accountNumber: true,
	clientNumber: true,
	sourceFile: true,
	position: true,
	raw: true,
};

const STATEMENT_KEYS: Record<keyof Statement, true> = {
	format: true,
	statementId: true,
	statementNumber: true,
	accountIban: true,
	accountNumber: true,
	bankCode: true,
	currency: true,
	clientNumber: true,
	adviserNumber: true,
	period: true,
	openingBalance: true,
	closingBalance: true,
	availableBalance: true,
	payments: true,
	skipped: true,
	skippedEntries: true,
	charset: true,
	sourceFile: true,
};

function ordered<T extends object>(value: T, keys: Record<keyof T, true>, required: ReadonlyArray<keyof T>): T {
	const out: Partial<T> = {};
	for (const key of Object.keys(keys) as Array<keyof T>) {
		const v = value[key];
		if (!required.includes(key) && (v === undefined || v === '')) continue;
		if (!required.includes(key) && typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
		out[key] = v;
	}
	return out as T;
}

/** The payment with its keys in reading order, without empty optional fields (`remittanceText` stays, if empty). */
export function shapePayment(payment: Payment): Payment {
	return ordered(payment, PAYMENT_KEYS, ['amount', 'currency', 'direction', 'remittanceText', 'invoiceNumbers']);
}

export function shapeStatement(statement: Statement): Statement {
	return ordered({ ...statement, skipped: statement.skippedEntries.length }, STATEMENT_KEYS, [
		'format',
		'payments',
		'skipped',
		'skippedEntries',
	]);
}
