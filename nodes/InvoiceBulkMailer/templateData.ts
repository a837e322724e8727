import Big from 'big.js';

import { formatDate, formatMoney } from '../shared/documents/invoices';
import type { InvoiceLanguage, Seller } from '../shared/documents/invoices';
import type { MailGroup, PlannedInvoice } from './mailPlan';

/**
 * What the mail template sees, one object per mail. Amounts and dates come formatted for the reader
 * ("1.234,56 €", "14.03.2025"; English with Language = English) and raw in `amounts` / `iso*` for users who
 * want their own formatting. Every placeholder is listed in the README.
 */

export interface TemplateInvoice {
	number: string;
	type: 'invoice' | 'creditNote';
	isCreditNote: boolean;
	date: string;
	isoDate: string;
	deliveryDate: string;
	dueDate: string;
	isoDueDate: string;
	netTotal: string;
	vatTotal: string;
	grossTotal: string;
	amountDue: string;
	currency: string;
	amounts: { net: string; vat: string; gross: string; due: string };
	paymentTerms: string;
	orderReference: string;
	fileName: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function date(value: string | undefined, language: InvoiceLanguage): string {
	if (!value) return '';
	return ISO_DATE.test(value) ? formatDate(value, language) : value;
}

function money(value: string | undefined, currency: string, language: InvoiceLanguage): string {
	if (value === undefined || value === '') return '';
	try {
		return formatMoney(value, currency, language);
	} catch {
		return value;
	}
}

export function templateInvoice(planned: PlannedInvoice, language: InvoiceLanguage): TemplateInvoice {
	const { invoice, totals, currency } = planned;
	const gross = totals?.grossTotal ?? planned.grossTotal ?? '';
	const due = totals?.amountDue ?? gross;
	return {
		number: invoice.number,
		type: invoice.type,
		isCreditNote: invoice.type === 'creditNote',
		date: date(invoice.issueDate, language),
		isoDate: invoice.issueDate ?? '',
		deliveryDate: invoice.servicePeriod
			? `${date(invoice.servicePeriod.from, language)} – ${date(invoice.servicePeriod.to, language)}`
			: date(invoice.deliveryDate, language),
		dueDate: date(invoice.dueDate, language),
		isoDueDate: invoice.dueDate ?? '',
		netTotal: money(totals?.netTotal, currency, language),
		vatTotal: money(totals?.vatTotal, currency, language),
		grossTotal: money(gross, currency, language),
		amountDue: money(due, currency, language),
		currency,
		amounts: { net: totals?.netTotal ?? '', vat: totals?.vatTotal ?? '', gross, due },
		paymentTerms: invoice.paymentTerms ?? '',
		orderReference: invoice.orderReference ?? '',
		fileName: `${planned.baseName}.pdf`,
	};
}

export interface TemplateContext {
	language: InvoiceLanguage;
	seller: Seller;
	sender: { name: string; address: string };
}

export function templateData(group: MailGroup, context: TemplateContext) {
	const { language, seller } = context;
	const invoices = group.invoices.map((planned) => templateInvoice(planned, language));
	const first = group.invoices[0].invoice.buyer;
	const currencies = new Set(invoices.map((i) => i.currency));
	let total = '';
	if (currencies.size === 1 && invoices.every((i) => i.amounts.due !== '')) {
		try {
			const sum = invoices.reduce((acc, i) => acc.plus(i.amounts.due), new Big(0));
			total = money(sum.toFixed(2), invoices[0].currency, language);
		} catch {
			total = '';
		}
	}
	return {
		customer: {
			number: first.customerNumber ?? '',
			name: first.name ?? '',
			name2: first.name2 ?? '',
			email: group.recipients.join(', '),
			street: first.street ?? '',
			zip: first.zip ?? '',
			city: first.city ?? '',
			country: first.country ?? '',
		},
		invoices,
		count: invoices.length,
		multiple: invoices.length > 1,
		/** the sum of the amounts due, when all invoices share a currency */
		total,
		seller: {
			name: seller.name ?? '',
			street: seller.street ?? '',
			zip: seller.zip ?? '',
			city: seller.city ?? '',
			email: seller.email ?? '',
			phone: seller.phone ?? '',
			website: seller.website ?? '',
		},
		sender: context.sender,
	};
}
