import type { Invoice, InvoiceLine } from '../../../nodes/shared/documents/invoices';

/** Invoices the tests render; German names with umlauts and ß on purpose, because that is where PDFs break. */

export function line(description: string, quantity: string, netUnitPrice: string, vatRate = '19', unit = 'C62'): InvoiceLine {
	return { description, quantity, unit, netUnitPrice, vatRate };
}

export function sampleInvoice(overrides: Partial<Invoice> = {}): Invoice {
	return {
		number: 'RE-2025-0042',
		type: 'invoice',
		issueDate: '2025-03-14',
		deliveryDate: '2025-03-12',
		dueDate: '2025-03-28',
		currency: 'EUR',
		seller: {
			name: 'Bäckerei Weiß & Söhne GmbH',
			street: 'Hauptstraße 5',
			zip: '50667',
			city: 'Köln',
			country: 'DE',
			vatId: 'DE123456789',
			taxNumber: '214/5702/0815',
			email: 'buchhaltung@baeckerei-weiss.de',
			phone: '+49 221 123456',
			commercialRegister: 'Amtsgericht Köln HRB 12345',
			managingDirectors: 'Grete Weiß, Hans Weiß',
		},
		buyer: {
			name: 'Jürgen Müßig GmbH',
			name2: 'z. Hd. Frau Özdemir',
			street: 'Lindenallee 17',
			zip: '80331',
			city: 'München',
			country: 'DE',
			customerNumber: 'K-10023',
			email: 'rechnungen@muessig.example',
		},
		lines: [
			line('Größenänderung Festtagstorte, dreistöckig mit Marzipanüberzug', '1', '89.50', '7', 'C62'),
			line('Lieferung und Aufbau vor Ort', '2.5', '48.00', '19', 'HUR'),
			line('Geschirrverleih (Teller, Gabeln, Tassen)', '40', '0.85', '19', 'C62'),
		],
		paymentTerms: 'Zahlbar innerhalb von 14 Tagen ohne Abzug.',
		bankAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', bankName: 'Commerzbank Köln' },
		...overrides,
	};
}

export function longInvoice(count: number): Invoice {
	const lines: InvoiceLine[] = [];
	for (let i = 1; i <= count; i++) {
		const description =
			i % 7 === 0
				? `Artikel ${i}: Brötchen-Sortiment für die Wochenend-Filialen, gemischt aus Weizen-, Roggen- und Dinkelgebäck, einzeln verpackt und etikettiert, Lieferung frühmorgens`
				: `Artikel ${i}: Laugenbrezel groß`;
		lines.push({ ...line(description, String(i % 5 + 1), '1.25', i % 3 === 0 ? '19' : '7'), articleNumber: `A-${1000 + i}` });
	}
	return sampleInvoice({ number: 'RE-2025-0120', lines });
}
