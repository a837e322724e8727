import type { Statement } from '../shared/documents/payments';

/**
 * Clients (Mandanten): which of the configured clients a statement belongs to, by its account. A client is
 * an ID and the accounts that are its own: IBANs, national account numbers (`BLZ/Konto` as MT940 `:25:`
 * writes them, or the bare number), or DATEV client numbers (Mandantennummer, optionally `Berater/Mandant`).
 */

export interface ClientAccounts {
	id: string;
	accounts: string[];
}

/** Splits the accounts field: commas, semicolons, line breaks. Spaces inside an IBAN ("DE89 3704 …") stay part of it. */
export function parseAccounts(text: string): string[] {
	return text
		.split(/[,;\n\r]+/)
		.map((a) => a.trim())
		.filter(Boolean);
}

/** Upper case, no spaces, digits without leading zeros in each `/` part: "0532 013000" and "532013000" are one account. */
function normalise(id: string): string {
	return id
		.replace(/\s+/g, '')
		.toUpperCase()
		.split('/')
		.map((part) => (/^\d+$/.test(part) ? part.replace(/^0+(?=\d)/, '') : part))
		.join('/');
}

/** What a configured account may be written as: a German IBAN also stands for its `BLZ/Konto` (MT940 `:25:`). */
function keysOfConfigured(account: string): string[] {
	const n = normalise(account);
	const keys = [n];
	const de = /^DE\d{2}(\d{8})(\d{10})$/.exec(n);
	if (de) keys.push(normalise(`${de[1]}/${de[2]}`));
	return keys;
}

/** The identities of a statement's own account, as far as its file names them. */
export function statementKeys(s: Pick<Statement, 'accountIban' | 'accountNumber' | 'bankCode' | 'clientNumber' | 'adviserNumber'>): string[] {
	const keys: string[] = [];
	if (s.accountIban) keys.push(normalise(s.accountIban));
	if (s.accountNumber) {
		keys.push(normalise(s.accountNumber));
		if (s.bankCode) keys.push(normalise(`${s.bankCode}/${s.accountNumber}`));
	}
	if (s.clientNumber) {
		keys.push(normalise(s.clientNumber));
		if (s.adviserNumber) keys.push(normalise(`${s.adviserNumber}/${s.clientNumber}`));
	}
	return [...new Set(keys)];
}

export type StatementOwner =
	/** no clients configured: every statement is imported, without a client */
	| { kind: 'any' }
	| { kind: 'client'; id: string }
	/** the statement names an account none of the clients has: another client's, left alone */
	| { kind: 'foreign'; accounts: string[] }
	/** the file names no account, and there are several clients to choose from */
	| { kind: 'unknown' };

export class ClientDirectory {
	private readonly byKey = new Map<string, string>();
	/** a client listed without accounts takes every statement no other client claims */
	private readonly catchAll?: string;

	constructor(readonly clients: readonly ClientAccounts[]) {
		const withoutAccounts = clients.filter((c) => c.accounts.length === 0);
		if (withoutAccounts.length > 1) {
			throw new Error(
				`Only one client may be listed without accounts (it takes every file no other client claims); ${withoutAccounts
					.map((c) => `"${c.id}"`)
					.join(' and ')} have none`,
			);
		}
		this.catchAll = withoutAccounts[0]?.id;
		for (const client of clients) {
			for (const account of client.accounts) {
				for (const key of keysOfConfigured(account)) {
					const other = this.byKey.get(key);
					if (other !== undefined && other !== client.id) {
						throw new Error(`The account "${account}" is listed for two clients, "${other}" and "${client.id}"`);
					}
					this.byKey.set(key, client.id);
				}
			}
		}
	}

	ownerOf(statement: Statement): StatementOwner {
		if (this.clients.length === 0) return { kind: 'any' };
		const keys = statementKeys(statement);
		for (const key of keys) {
			const id = this.byKey.get(key);
			if (id !== undefined) return { kind: 'client', id };
		}
		if (this.catchAll !== undefined) return { kind: 'client', id: this.catchAll };
		if (keys.length > 0) return { kind: 'foreign', accounts: keys };
		// a bank CSV often names no account: with one client there is no doubt whose it is
		return this.clients.length === 1 ? { kind: 'client', id: this.clients[0].id } : { kind: 'unknown' };
	}
}
