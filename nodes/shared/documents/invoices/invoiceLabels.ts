import type { Invoice, VatCategory } from './types';
import type { InvoiceLanguage } from './unitCodes';

/** What the invoice PDF prints, in German (the default) and English. */

export interface Labels {
	title: Record<Invoice['type'], string>;
	numberLabel: Record<Invoice['type'], string>;
	numberPrefix: string;
	issueDate: Record<Invoice['type'], string>;
	deliveryDate: string;
	servicePeriod: string;
	customerNumber: string;
	buyerReference: string;
	orderReference: string;
	dueDate: string;
	buyerVatId: string;
	correction: (number: string, date?: string) => string;
	pos: string;
	description: string;
	quantity: string;
	unit: string;
	unitPrice: string;
	vat: string;
	amount: string;
	articleNumber: string;
	/** under a line whose price is for more than one unit (BT-149): "Preis je 100 Stück" */
	priceFor: (quantity: string, unit: string) => string;
	carried: string;
	/** an allowance (discount) and a charge (surcharge), when no reason text names them */
	kindName: Record<'allowance' | 'charge', string>;
	/** "10 % von 895,00" */
	percentOf: (percent: string, base: string) => string;
	/** a document level allowance is taken off ("abzüglich"), a charge added ("zuzüglich") */
	sign: Record<'allowance' | 'charge', string>;
	/** the sum of the lines, above the document level allowances and charges */
	linesTotal: string;
	netTotal: string;
	/** the VAT line of the totals; `kind` names an exemption (reverse charge …), empty for S and Z */
	vatLine: (rate: string, net: string, kind: string) => string;
	vatKind: Record<VatCategory, string>;
	grossTotal: Record<Invoice['type'], string>;
	prepaid: string;
	amountDue: Record<Invoice['type'], string>;
	payBy: (amount: string, date: string) => string;
	refundBy: (amount: string, date: string) => string;
	bank: string;
	accountHolder: string;
	page: (n: number, of: number) => string;
	phone: string;
	vatId: string;
	taxNumber: string;
	managingDirectors: string;
	note: string;
}

export const LABELS: Record<InvoiceLanguage, Labels> = {
	de: {
		title: { invoice: 'Rechnung', creditNote: 'Gutschrift' },
		numberLabel: { invoice: 'Rechnungsnummer', creditNote: 'Gutschriftsnummer' },
		numberPrefix: 'Nr.',
		issueDate: { invoice: 'Rechnungsdatum', creditNote: 'Datum' },
		deliveryDate: 'Lieferdatum',
		servicePeriod: 'Leistungszeitraum',
		customerNumber: 'Kundennummer',
		buyerReference: 'Ihre Referenz',
		orderReference: 'Ihre Bestellung',
		dueDate: 'Fällig am',
		buyerVatId: 'Ihre USt-IdNr.',
		correction: (number, date) => `zu Rechnung Nr. ${number}${date ? ` vom ${date}` : ''}`,
		pos: 'Pos.',
		description: 'Beschreibung',
		quantity: 'Menge',
		unit: 'Einheit',
		unitPrice: 'Einzelpreis',
		vat: 'USt.',
		amount: 'Gesamt',
		articleNumber: 'Art.-Nr.',
		priceFor: (quantity, unit) => `Preis je ${quantity} ${unit}`,
		carried: 'Übertrag',
		kindName: { allowance: 'Nachlass', charge: 'Zuschlag' },
		percentOf: (percent, base) => `${percent} von ${base}`,
		sign: { allowance: 'abzüglich', charge: 'zuzüglich' },
		linesTotal: 'Summe Positionen',
		netTotal: 'Summe netto',
		vatLine: (rate, net, kind) => (kind ? `${rate} USt. (${kind}) auf ${net}` : `zzgl. ${rate} USt. auf ${net}`),
		vatKind: { S: '', Z: '', E: 'steuerfrei', AE: 'Reverse Charge', K: 'innergem. Lieferung', G: 'Ausfuhr', O: 'nicht steuerbar' },
		grossTotal: { invoice: 'Gesamtbetrag', creditNote: 'Gutschriftsbetrag' },
		prepaid: 'abzüglich Anzahlung',
		amountDue: { invoice: 'Zahlbetrag', creditNote: 'Erstattungsbetrag' },
		payBy: (amount, date) =>
			`Bitte überweisen Sie den Betrag von ${amount} bis zum ${date} unter Angabe der Rechnungsnummer.`,
		refundBy: (amount, date) => `Den Betrag von ${amount} überweisen wir Ihnen bis zum ${date}.`,
		bank: 'Bankverbindung',
		accountHolder: 'Kontoinhaber',
		page: (n, of) => `Seite ${n} von ${of}`,
		phone: 'Tel.',
		vatId: 'USt-IdNr.',
		taxNumber: 'Steuernummer',
		managingDirectors: 'Geschäftsführung',
		note: 'Hinweis',
	},
	en: {
		title: { invoice: 'Invoice', creditNote: 'Credit Note' },
		numberLabel: { invoice: 'Invoice no.', creditNote: 'Credit note no.' },
		numberPrefix: 'No.',
		issueDate: { invoice: 'Invoice date', creditNote: 'Date' },
		deliveryDate: 'Delivery date',
		servicePeriod: 'Service period',
		customerNumber: 'Customer no.',
		buyerReference: 'Your reference',
		orderReference: 'Your order',
		dueDate: 'Due date',
		buyerVatId: 'Your VAT ID',
		correction: (number, date) => `relating to invoice no. ${number}${date ? ` of ${date}` : ''}`,
		pos: 'Pos.',
		description: 'Description',
		quantity: 'Qty',
		unit: 'Unit',
		unitPrice: 'Unit price',
		vat: 'VAT',
		amount: 'Amount',
		articleNumber: 'Item no.',
		priceFor: (quantity, unit) => `Price per ${quantity} ${unit}`,
		carried: 'Carried forward',
		kindName: { allowance: 'Allowance', charge: 'Charge' },
		percentOf: (percent, base) => `${percent} of ${base}`,
		sign: { allowance: 'less', charge: 'plus' },
		linesTotal: 'Total of lines',
		netTotal: 'Net total',
		vatLine: (rate, net, kind) => (kind ? `${rate} VAT (${kind}) on ${net}` : `plus ${rate} VAT on ${net}`),
		vatKind: { S: '', Z: '', E: 'exempt', AE: 'reverse charge', K: 'intra-EU supply', G: 'export', O: 'not subject to VAT' },
		grossTotal: { invoice: 'Total', creditNote: 'Total credit' },
		prepaid: 'less prepayment',
		amountDue: { invoice: 'Amount due', creditNote: 'Amount refunded' },
		payBy: (amount, date) => `Please transfer ${amount} by ${date}, quoting the invoice number.`,
		refundBy: (amount, date) => `We will transfer ${amount} to your account by ${date}.`,
		bank: 'Bank details',
		accountHolder: 'Account holder',
		page: (n, of) => `Page ${n} of ${of}`,
		phone: 'Phone',
		vatId: 'VAT ID',
		taxNumber: 'Tax number',
		managingDirectors: 'Managing directors',
		note: 'Note',
	},
};
