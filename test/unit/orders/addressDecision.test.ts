/**
 * A person's answer to Match's question "a similar address was found: use it, or the imported one?", applied
 * by Match in the mode "Apply a Person's Decision" (nodes/OrderExchange/decide.ts). The Review item is built by
 * the same function Match uses, from a real address book lookup.
 */
import type { IDataObject } from 'n8n-workflow';

import { applyDecisions, parseDecision } from '../../../nodes/OrderExchange/decide';
import { decideAddress } from '../../../nodes/OrderExchange/match';
import { AddressIndex } from '../../../nodes/shared/documents/addresses';

const book = new AddressIndex([
	{ id: 'K1', name: 'Müller GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' },
	{ id: 'K2', name: 'Optik Meyer', street: 'Bahnhofstraße 12', zip: '80335', city: 'München' },
	{ id: 'K7', name: 'Optik Mayr', street: 'Bahnhofstraße 14', zip: '80335', city: 'München' },
]);
const imported = { name: 'Optik Maier', street: 'Bahnhofstr. 12', zip: '80335', city: 'München' };

function reviewItem(): IDataObject {
	const customer = decideAddress(book.match(imported, 3), 'ask', imported);
	return { type: 'order', number: 'HO1-10001', customer: { ...imported }, addressMatch: { customer: { ...customer } } };
}
const customerOf = (json: IDataObject) => (json.addressMatch as IDataObject).customer as IDataObject;

test('the Review item carries the imported address beside the ranked candidates, and the choices in words', () => {
	const outcome = customerOf(reviewItem());
	expect(outcome.decision).toBe('ask');
	expect(outcome.imported).toEqual(imported);
	const candidates = outcome.candidates as IDataObject[];
	expect(candidates[0]).toMatchObject({ id: 'K2', kind: 'similar' });
	expect((candidates[0].reasons as string[]).length).toBeGreaterThan(0);
	const choices = outcome.choices as string[];
	expect(choices).toHaveLength(candidates.length + 1);
	expect(choices[0]).toMatch(/^Candidate 1: Optik Meyer, Bahnhofstraße 12, 80335 München \(ID K2, similarity \d+ %\)$/);
	expect(choices.at(-1)).toBe('Imported address (create it): Optik Maier, Bahnhofstr. 12, 80335 München');
});

test('an exact or unknown address offers no choices: nobody is asked', () => {
	const exact = decideAddress(book.match({ name: 'Müller GmbH', street: 'Hauptstraße 5', zip: '50667', city: 'Köln' }, 3), 'ask', imported);
	expect(exact.decision).toBe('linked');
	expect(exact.choices).toBeUndefined();
});

test.each([
	['Candidate 1', 'K2'],
	['1', 'K2'],
	['K2', 'K2'],
])('"%s" links the customer to the chosen candidate %s, and the order is matched', (answer, id) => {
	const { json, waiting } = applyDecisions(reviewItem(), { customer: answer, delivery: '' });
	expect(waiting).toEqual([]);
	expect(json.customer).toEqual({ ...imported, addressId: id });
	expect(customerOf(json)).toMatchObject({ decision: 'useExisting', addressId: id, decidedBy: 'person', answer });
});

test('each of the offered choices is understood as it is written', () => {
	const item = reviewItem();
	const choices = customerOf(item).choices as string[];
	const ids = (customerOf(item).candidates as IDataObject[]).map((c) => c.id);
	choices.slice(0, -1).forEach((choice, k) => expect(applyDecisions(item, { customer: choice, delivery: '' }).json.customer).toMatchObject({ addressId: ids[k] }));
	const created = applyDecisions(item, { customer: choices.at(-1)!, delivery: '' }).json;
	expect(created.customer).toEqual(imported);
	expect(customerOf(created).decision).toBe('useImported');
});

test('"imported" keeps the imported address as a new one, without an address ID', () => {
	const item = reviewItem();
	(item.customer as IDataObject).addressId = 'stale';
	const { json } = applyDecisions(item, { customer: 'imported', delivery: 'Candidate 1' });
	expect(json.customer).toEqual(imported);
	expect(customerOf(json)).toMatchObject({ decision: 'useImported' });
	expect(customerOf(json)).not.toHaveProperty('addressId');
	// the order has no delivery address waiting: the delivery answer changes nothing
	expect(json).not.toHaveProperty('delivery');
});

test('no answer leaves the address waiting; an answer that is no choice is refused with the accepted forms', () => {
	expect(applyDecisions(reviewItem(), { customer: ' ', delivery: '' }).waiting).toEqual(['customer']);
	expect(() => applyDecisions(reviewItem(), { customer: 'Candidate 9', delivery: '' })).toThrow(
		/Customer Address Decision: "Candidate 9": there are \d candidates/,
	);
	expect(() => applyDecisions(reviewItem(), { customer: 'the second one', delivery: '' })).toThrow(
		'Customer Address Decision: "the second one" is not a decision: give "Candidate N"',
	);
	expect(() => applyDecisions({ number: '1' }, { customer: '1', delivery: '' })).toThrow(/not an order from the Review output of Match/);
});

test('parseDecision accepts the number only at the start, before a colon or the end', () => {
	const candidates = [{ id: 'K2' }, { id: '12' }];
	expect(parseDecision('candidate 2', candidates, 'x')).toEqual({ use: 'candidate', candidate: { id: '12' } });
	expect(parseDecision('Imported address (create it)', candidates, 'x')).toEqual({ use: 'imported' });
	expect(() => parseDecision('2nd', candidates, 'x')).toThrow('is not a decision');
});
