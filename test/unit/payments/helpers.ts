import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Big from 'big.js';

import { DocumentError } from '../../../nodes/shared/documents/DocumentError';
import type { Statement } from '../../../nodes/shared/documents/payments';

export const fixturePath = (relative: string): string => join(__dirname, '..', '..', 'fixtures', relative);

export const fixture = (relative: string): Buffer => readFileSync(fixturePath(relative));

/** Runs `action`, expecting a DocumentError, and returns it so the test can look at file and position. */
export function documentErrorOf(action: () => unknown): DocumentError {
	try {
		action();
	} catch (e) {
		if (e instanceof DocumentError) return e;
		throw new Error(`expected a DocumentError, got ${(e as Error)?.stack ?? String(e)}`);
	}
	throw new Error('expected a DocumentError, but nothing was thrown');
}

/** Opening balance plus credits minus debits, as the bank would compute the closing balance. */
export function computedClosingBalance(statement: Statement): string {
	let balance = new Big(statement.openingBalance?.amount ?? '0');
	for (const p of statement.payments) balance = p.direction === 'credit' ? balance.plus(p.amount) : balance.minus(p.amount);
	return balance.toFixed(2);
}
