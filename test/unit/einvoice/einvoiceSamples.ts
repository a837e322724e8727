import type { Invoice } from '../../../nodes/shared/documents/invoices';
import { line, longInvoice, sampleInvoice } from '../invoices/sampleInvoices';

/**
 * The invoices the e-invoice tests generate: the cases the issue names (one VAT rate, two rates, a reverse
 * charge, a credit note, a multi-page one), each as data a workflow would really hand the mailer.
 */

/** A Leitweg-ID as German public authorities publish them (coarse address, fine address, check digits). */
export const LEITWEG_ID = '05315-12345678-06';

export function oneRate(): Invoice {
	return sampleInvoice({
		number: 'RE-2025-0101',
		lines: [line('Brötchen-Abo März <Filiale "Süd"> & Co.', '31', '4.20', '7', 'C62'), line('Lieferpauschale', '1', '15', '7', 'LS')],
	});
}

export function twoRates(): Invoice {
	return sampleInvoice({ number: 'RE-2025-0102', orderReference: 'PO-4711', prepaidAmount: '50.00' });
}

/** A German craftsman invoicing an Austrian company: §13b UStG / Art. 196 VAT directive, reverse charge. */
export function reverseCharge(): Invoice {
	const base = sampleInvoice();
	return sampleInvoice({
		number: 'RE-2025-0103',
		buyer: {
			name: 'Alpenbau Innsbruck GmbH',
			street: 'Maria-Theresien-Straße 21',
			zip: '6020',
			city: 'Innsbruck',
			country: 'AT',
			vatId: 'ATU12345678',
			email: 'buchhaltung@alpenbau.example',
		},
		lines: [
			{ ...line('Montage Backofenanlage', '16', '72.50', '0', 'HUR'), vatCategory: 'AE' },
			{ ...line('Anfahrt', '1', '180', '0', 'LS'), vatCategory: 'AE' },
		],
		bankAccount: base.bankAccount,
	});
}

/** A credit note for part of an earlier invoice: positive amounts, type 381, the invoice it corrects. */
export function creditNote(): Invoice {
	return sampleInvoice({
		number: 'GS-2025-0007',
		type: 'creditNote',
		precedingInvoice: { number: 'RE-2025-0042', issueDate: '2025-03-14' },
		lines: [line('Gutschrift Geschirrverleih: 12 Tassen nicht geliefert', '12', '0.85', '19', 'C62')],
		paymentTerms: 'Der Betrag wird Ihrem Konto gutgeschrieben.',
	});
}

/** Enough lines for several pages, with both rates and article numbers. */
export function multiPage(): Invoice {
	return { ...longInvoice(90), number: 'RE-2025-0104' };
}

/** The same invoice addressed to a public authority, as XRechnung needs it. */
export function forAuthority(invoice: Invoice): Invoice {
	return {
		...invoice,
		number: `${invoice.number}-XR`,
		buyer: { ...invoice.buyer, buyerReference: LEITWEG_ID },
		seller: { ...invoice.seller, contactName: 'Grete Weiß' },
	};
}

export const CASES: Array<{ name: string; make: () => Invoice }> = [
	{ name: 'one VAT rate', make: oneRate },
	{ name: 'two VAT rates with a prepayment', make: twoRates },
	{ name: 'reverse charge', make: reverseCharge },
	{ name: 'credit note', make: creditNote },
	{ name: 'multi-page invoice', make: multiPage },
];
