import { writeFileSync, readFileSync } from 'node:fs';
import { writeOpenTrans } from '../../../nodes/shared/documents/orders/openTransWriter';
import { readOpenTrans } from '../../../nodes/shared/documents/orders/openTransReader';
it('x', () => {
	const buf = writeOpenTrans({ type: 'quote', number: 'A-1', date: '2025-03-14', site: 'HO-1', currency: 'EUR',
		customer: { name: 'Müller & Söhne <GmbH>', street: 'Musterstraße 12', zip: '50667', city: 'Köln', country: 'DE', email: 'a@b.de', phone: '+49 221 1' },
		delivery: { customerNumber: '1000', name: 'Baustelle', street: 'Weg 1', zip: '1', city: 'X', country: 'Deutschland' },
		lines: [{ lineNumber: '1', articleNumber: 'ART-1', description: 'Schraube "M6" & Mutter\nzweite Zeile', quantity: '10', unit: 'C62', netPrice: '0.25', vatRate: '19', lineAmount: '2.50' }],
		totals: { net: '2.50', vat: '0.48', gross: '2.98' }, remarks: 'Bitte < 5 Tage' });
	writeFileSync('/tmp/orders-scratch/q.xml', buf);
	for (const f of ['order-itscope.xml','order-minimal.xml','order-minimal-with-address.xml'])
		console.log(JSON.stringify(readOpenTrans(readFileSync('/work/shared/fixtures/opentrans/'+f), f), null, 1));
	console.log(JSON.stringify(readOpenTrans(buf)));
});
