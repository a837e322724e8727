import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { AddressIndex, type AddressBookEntry, type AddressMatch } from '../shared/documents/addresses';
import { linkArticles, type Address } from '../shared/documents/orders';
import { DocumentInputError, receivedDocumentOf } from './documentInput';

/**
 * Match: the lines of imported orders are linked to this site's article master by article number, and their
 * addresses looked up in its address book by sound and spelling ("Auf dem Zielsystem wird eine phonetische
 * Adresssuche durchgeführt. Wird eine ähnliche Adresse gefunden, können Sie entscheiden, ob diese Adresse
 * benutzt wird oder die importierte Adresse"). The article numbers and the address book are read and
 * indexed once per run, not per item: with 100,000 addresses that is the difference between a second and
 * an hour.
 */

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export type SimilarAddress = 'ask' | 'useExisting' | 'useImported';

/** What became of one address: linked to an entry of the book, kept as a new one, or left to a person. */
export type AddressDecision = 'linked' | 'useExisting' | 'useImported' | 'new' | 'ask';

export interface AddressOutcome {
	kind: AddressMatch['kind'];
	decision: AddressDecision;
	addressId?: string;
	score?: number;
	candidates: IDataObject[];
	/** the address as the other site wrote it, beside the candidates (only when a person decides) */
	imported?: IDataObject;
	/** what a person chooses from, in words Apply Address Decision understands (only when a person decides) */
	choices?: string[];
}

const oneLine = (a: IDataObject): string =>
	[a.name, a.street, [a.zip, a.city].filter((v) => text(v).trim()).join(' ')].map(text).filter((v) => v.trim()).join(', ');

/** "Candidate 2: Optik Meyer, Bahnhofstraße 12, 80335 München (ID K2, similarity 91 %)" */
export function candidateChoice(position: number, candidate: IDataObject): string {
	const score = typeof candidate.score === 'number' ? `, similarity ${Math.round(candidate.score * 100)} %` : '';
	return `Candidate ${position}: ${oneLine(candidate)} (ID ${text(candidate.id)}${score})`;
}

export const IMPORTED_CHOICE = 'Imported address (create it)';

export function importedChoice(imported: IDataObject): string {
	return `${IMPORTED_CHOICE}: ${oneLine(imported)}`;
}

/** The parameter as a list: an expression's array, a JSON text of one, or numbers separated by commas or lines. */
function listOf(value: unknown, what: string): unknown[] | undefined {
	if (value === undefined || value === null) return undefined;
	if (Array.isArray(value)) return value;
	if (typeof value === 'string') {
		const text = value.trim();
		if (text === '') return undefined;
		if (text.startsWith('[')) {
			const parsed = parseJson(text);
			if (!Array.isArray(parsed)) throw new DocumentInputError(what, 'is not a valid JSON list');
			return parsed;
		}
		return text
			.split(/[\n,;]+/)
			.map((t) => t.trim())
			.filter(Boolean);
	}
	throw new DocumentInputError(what, `expected a list, got ${typeof value}`);
}

export function articleNumbersOf(value: unknown): Set<string> | undefined {
	const list = listOf(value, 'Article Numbers');
	if (!list) return undefined;
	const numbers = new Set<string>();
	list.forEach((v, i) => {
		if (typeof v === 'string' || typeof v === 'number') numbers.add(String(v).trim());
		else throw new DocumentInputError('Article Numbers', `entry ${i + 1} is not an article number (text or number); map the list to the numbers, e.g. .map(item => item.json.artnr)`);
	});
	return numbers;
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

export function addressBookOf(value: unknown): AddressBookEntry[] | undefined {
	if (typeof value === 'string' && value.trim() !== '' && !value.trim().startsWith('[')) {
		throw new DocumentInputError('Address Book', 'expected a list of addresses (an expression, or a JSON array)');
	}
	const list = listOf(value, 'Address Book');
	if (!list) return undefined;
	return list.map((v, i) => {
		if (!v || typeof v !== 'object' || Array.isArray(v)) {
			throw new DocumentInputError('Address Book', `entry ${i + 1} is not an address object`);
		}
		const e = v as IDataObject;
		const id = text(e.id).trim();
		if (!id) throw new DocumentInputError('Address Book', `entry ${i + 1} has no id`);
		const entry: AddressBookEntry = { id, name: text(e.name), street: text(e.street), zip: text(e.zip), city: text(e.city) };
		if (e.customerNumber !== undefined && e.customerNumber !== null && text(e.customerNumber).trim()) {
			entry.customerNumber = text(e.customerNumber);
		}
		return entry;
	});
}

/** The decision for one address, per the "Similar Address" option. */
export function decideAddress(match: AddressMatch, similar: SimilarAddress, imported?: Address): AddressOutcome {
	const best = match.candidates[0];
	const candidates = match.candidates.map((c) => {
		const json: IDataObject = { id: c.entry.id, name: c.entry.name, street: c.entry.street, zip: c.entry.zip, city: c.entry.city };
		if (c.entry.customerNumber) json.customerNumber = c.entry.customerNumber;
		return { ...json, score: c.score, kind: c.kind, reasons: c.reasons };
	});
	const outcome: AddressOutcome = { kind: match.kind, decision: 'new', candidates };
	if (best) outcome.score = best.score;
	if (match.kind === 'exact') {
		outcome.decision = 'linked';
		outcome.addressId = best.entry.id;
	} else if (match.kind === 'similar') {
		outcome.decision = similar;
		if (similar === 'useExisting') outcome.addressId = best.entry.id;
	}
	if (outcome.decision === 'ask' && imported) {
		const own: IDataObject = { name: imported.name, street: imported.street, zip: imported.zip, city: imported.city };
		outcome.imported = own;
		outcome.choices = [...candidates.map((c, k) => candidateChoice(k + 1, c)), importedChoice(own)];
	}
	return outcome;
}

export async function match(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const matched: INodeExecutionData[] = [];
	const review: INodeExecutionData[] = [];
	if (items.length === 0) return [matched, review];

	let articles: Set<string> | undefined;
	let index: AddressIndex | undefined;
	try {
		articles = articleNumbersOf(this.getNodeParameter('articleNumbers', 0, ''));
		const book = addressBookOf(this.getNodeParameter('addressBook', 0, ''));
		if (book) index = new AddressIndex(book);
	} catch (error) {
		throw new NodeOperationError(this.getNode(), (error as Error).message, {
			description: 'The parameter is evaluated once per run, for the first item: it should give the whole list.',
		});
	}
	const similar = this.getNodeParameter('similarAddress', 0, 'ask') as SimilarAddress;
	const options = this.getNodeParameter('matchOptions', 0, {}) as { maxCandidates?: number };
	const maxCandidates = Math.max(1, Math.floor(options.maxCandidates ?? 5));

	for (let i = 0; i < items.length; i++) {
		const input = items[i].json;
		try {
			const doc = receivedDocumentOf(input);
			const json: IDataObject = { ...input };
			let ask = false;
			if (articles) {
				const known = articles;
				const linked = linkArticles(doc, (n) => known.has(n.trim()));
				json.lines = (input.lines as IDataObject[]).map((line, k) => ({ ...line, articleLinked: linked.lines[k].articleLinked === true }));
				json.unlinkedArticles = linked.lines.filter((l) => l.articleNumber && !l.articleLinked).map((l) => l.articleNumber!);
			}
			if (index) {
				const addressMatch: IDataObject = {};
				for (const role of ['customer', 'delivery'] as const) {
					const address: Address | undefined = doc[role];
					if (!address) continue;
					const outcome = decideAddress(index.match(address, maxCandidates), similar, address);
					if (outcome.decision === 'ask') ask = true;
					addressMatch[role] = { ...outcome };
					const original = { ...(input[role] as IDataObject) };
					delete original.addressId;
					json[role] = outcome.addressId ? { ...original, addressId: outcome.addressId } : original;
				}
				json.addressMatch = addressMatch;
			}
			const item: INodeExecutionData = { json, pairedItem: { item: i } };
			if (items[i].binary) item.binary = items[i].binary;
			(ask ? review : matched).push(item);
		} catch (error) {
			const message = (error as Error).message;
			if (this.continueOnFail()) {
				review.push({ json: { ...input, error: message }, pairedItem: { item: i } });
				continue;
			}
			throw new NodeOperationError(this.getNode(), `The item is not an order or quote as Receive emits it: ${message}`, { itemIndex: i });
		}
	}
	return [matched, review];
}
