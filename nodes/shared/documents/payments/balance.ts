import Big from 'big.js';

import { DocumentError, type DocumentPosition } from '../DocumentError';
import { formatAmount } from './money';
import type { Balance, PaymentDirection } from './types';

/**
 * Every statement is checked before anything from it is used: its opening balance plus what was booked must
 * give its closing balance. A statement that fails was cut, merged or altered on its way; importing it would
 * hand the workflow payments that may be wrong or missing, and the file would then be deleted or archived as
 * done. So the whole file is refused with the statement and the difference named.
 */

export interface BookedAmount {
	amount: Big;
	direction: PaymentDirection;
}

export interface BalanceCheck {
	/** how the user finds the statement: "statement 2 (:20: STARTUMS)" */
	statement: string;
	opening?: Balance;
	closing?: Balance;
	entries: readonly BookedAmount[];
	file?: string;
	position: DocumentPosition;
}

/** Throws when opening + credits − debits ≠ closing; does nothing when either balance is missing. */
export function checkStatementBalance(check: BalanceCheck): void {
	const { opening, closing } = check;
	if (!opening || !closing) return;
	// the amounts must agree; a closing balance in another currency code (the genkgo camt samples write SEK beside
	// EUR) is a fault of the sample's text, not of the sums, and is left to the account currency to tell
	let sum = new Big(0);
	for (const entry of check.entries) sum = entry.direction === 'credit' ? sum.plus(entry.amount) : sum.minus(entry.amount);
	const expected = new Big(opening.amount).plus(sum);
	const difference = new Big(closing.amount).minus(expected);
	if (difference.eq(0)) return;
	const money = (value: Big) => `${formatAmount(value, opening.currency)} ${opening.currency}`;
	throw new DocumentError(
		'INVALID_VALUE',
		`${check.statement} does not add up: opening balance ${money(new Big(opening.amount))} + entries ${money(sum)} = ${money(expected)}, ` +
			`but the closing balance is ${money(new Big(closing.amount))} (difference ${money(difference)}). ` +
			'The file is damaged or incomplete; nothing from it is imported',
		check.file,
		check.position,
	);
}
