import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { DocumentInputError } from './documentInput';
import { IMPORTED_CHOICE } from './match';

/**
 * Match, mode "Apply a Person’s Decision": the answer of a person to Match's question "a similar address was found — use it, or
 * the imported one?" ("Wird eine ähnliche Adresse gefunden, können Sie entscheiden, ob diese Adresse benutzt
 * wird oder die importierte Adresse"). The input is an order from Match's Review output; the decision comes
 * from a form (n8n's Wait node or Send and Wait), per address that waits for one. The order goes to Matched as
 * Match emits it there: `addressId` set to the chosen candidate, or none for an address to be created; an order
 * whose waiting address got no answer stays on Review.
 */

const ROLES = [
	{ role: 'customer', parameter: 'customerDecision', label: 'Customer Address Decision' },
	{ role: 'delivery', parameter: 'deliveryDecision', label: 'Delivery Address Decision' },
] as const;

export type GivenDecision = { use: 'candidate'; candidate: IDataObject } | { use: 'imported' };

/** "Candidate 2", "2", a candidate's address ID, one of the item's choices, or "imported" / the imported choice. */
export function parseDecision(given: string, candidates: IDataObject[], field: string): GivenDecision {
	const text = given.trim();
	const lower = text.toLowerCase();
	if (lower === 'imported' || lower === 'new' || lower.startsWith(IMPORTED_CHOICE.toLowerCase())) return { use: 'imported' };
	const numbered = /^(?:candidate\s*)?(\d+)(?:\s*:|\s*$)/i.exec(text);
	if (numbered) {
		const position = Number(numbered[1]);
		const candidate = candidates[position - 1];
		if (!candidate) {
			throw new DocumentInputError(field, `"${text}": there ${candidates.length === 1 ? 'is 1 candidate' : `are ${candidates.length} candidates`}`);
		}
		return { use: 'candidate', candidate };
	}
	const byId = candidates.find((c) => String(c.id) === text);
	if (byId) return { use: 'candidate', candidate: byId };
	throw new DocumentInputError(
		field,
		`"${text}" is not a decision: give "Candidate N" (N = 1…${candidates.length}), a candidate's address ID, or "${IMPORTED_CHOICE}"`,
	);
}

/**
 * The order with the given decisions applied; an address that waits for none is left as Match left it.
 * `waiting`: the roles that still wait because no answer was given for them.
 */
export function applyDecisions(input: IDataObject, given: Record<'customer' | 'delivery', string>): { json: IDataObject; waiting: string[] } {
	const addressMatch = input.addressMatch as IDataObject | undefined;
	if (!addressMatch || typeof addressMatch !== 'object') {
		throw new DocumentInputError('addressMatch', 'missing: the item is not an order from the Review output of Match');
	}
	const json: IDataObject = { ...input, addressMatch: { ...addressMatch } };
	const waiting: string[] = [];
	for (const { role, label } of ROLES) {
		const outcome = addressMatch[role] as IDataObject | undefined;
		if (!outcome || outcome.decision !== 'ask') continue;
		const answer = String(given[role] ?? '').trim();
		if (!answer) {
			waiting.push(role);
			continue;
		}
		const decision = parseDecision(answer, (outcome.candidates as IDataObject[]) ?? [], label);
		const address = { ...(input[role] as IDataObject) };
		delete address.addressId;
		const decided: IDataObject = { ...outcome, decidedBy: 'person', answer };
		if (decision.use === 'candidate') {
			address.addressId = String(decision.candidate.id);
			Object.assign(decided, { decision: 'useExisting', addressId: address.addressId, score: decision.candidate.score });
		} else {
			decided.decision = 'useImported';
			delete decided.addressId;
		}
		json[role] = address;
		(json.addressMatch as IDataObject)[role] = decided;
	}
	return { json, waiting };
}

export async function decide(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const matched: INodeExecutionData[] = [];
	const review: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const given = {
				customer: String(this.getNodeParameter('customerDecision', i, '') ?? ''),
				delivery: String(this.getNodeParameter('deliveryDecision', i, '') ?? ''),
			};
			const { json, waiting } = applyDecisions(items[i].json, given);
			const item: INodeExecutionData = { json, pairedItem: { item: i } };
			if (items[i].binary) item.binary = items[i].binary;
			if (waiting.length) json.waitingForDecision = waiting;
			(waiting.length ? review : matched).push(item);
		} catch (error) {
			const number = items[i].json.number ? ` (order ${String(items[i].json.number)})` : '';
			const message = `${(error as Error).message}${number}`;
			if (this.continueOnFail()) {
				review.push({ json: { ...items[i].json, error: message }, pairedItem: { item: i } });
				continue;
			}
			throw new NodeOperationError(this.getNode(), message, { itemIndex: i });
		}
	}
	return [matched, review];
}
