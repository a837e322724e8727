import type { XmlElement } from '../xml';
import { base64Size, dropEmpty } from './cii';
import { isCreditNoteCode, profileOf } from './profiles';
import { Reading, allAt, at, nonEmpty } from './reading';
import type {
	AllowanceCharge,
	ReceivedAttachment,
	ReceivedInvoice,
	ReceivedLine,
	ReceivedParty,
	ReceivedPayment,
	ReceivedTotals,
	ReceivedVatBreakdown,
} from './types';

/**
 * Reads an OASIS UBL 2.1 Invoice or CreditNote as EN 16931 binds it (the syntax of XRechnung UBL and Peppol
 * BIS Billing 3.0). The two document types differ in their line and quantity names and in where the due date
 * lives; everything else is the same.
 */

/** UNTDID 1001 code 130: "invoiced object identifier" (BT-18), the one AdditionalDocumentReference that is no attachment. */
const INVOICED_OBJECT = '130';

export function readUblInvoice(root: XmlElement, reading: Reading): ReceivedInvoice {
	const r = reading;
	const creditNote = root.name === 'CreditNote';
	const specification = r.text(at(root, 'CustomizationID'), 'specification');
	const typeCode = r.text(at(root, creditNote ? 'CreditNoteTypeCode' : 'InvoiceTypeCode'), 'typeCode');
	const currency = r.text(at(root, 'DocumentCurrencyCode'), 'currency');
	const invoice: ReceivedInvoice = {
		syntax: 'UBL',
		specification,
		profile: profileOf(specification),
		businessProcess: r.text(at(root, 'ProfileID'), 'businessProcess'),
		number: r.text(at(root, 'ID'), 'number'),
		typeCode,
		type: creditNote || isCreditNoteCode(typeCode) ? 'creditNote' : 'invoice',
		issueDate: r.date(at(root, 'IssueDate'), 'issueDate'),
		dueDate: r.date(at(root, 'DueDate') ?? at(root, 'PaymentMeans/PaymentDueDate'), 'dueDate'),
		taxPointDate: r.date(at(root, 'TaxPointDate'), 'taxPointDate'),
		deliveryDate: r.date(at(root, 'Delivery/ActualDeliveryDate'), 'deliveryDate'),
		invoicePeriod: period(r, at(root, 'InvoicePeriod'), 'invoicePeriod'),
		currency,
		vatCurrency: r.text(at(root, 'TaxCurrencyCode'), 'vatCurrency'),
		buyerReference: r.text(at(root, 'BuyerReference'), 'buyerReference'),
		orderReference: r.text(at(root, 'OrderReference/ID'), 'orderReference'),
		salesOrderReference: r.text(at(root, 'OrderReference/SalesOrderID'), 'salesOrderReference'),
		despatchAdviceReference: r.text(at(root, 'DespatchDocumentReference/ID'), 'despatchAdviceReference'),
		receivingAdviceReference: r.text(at(root, 'ReceiptDocumentReference/ID'), 'receivingAdviceReference'),
		contractReference: r.text(at(root, 'ContractDocumentReference/ID'), 'contractReference'),
		projectReference: r.text(at(root, 'ProjectReference/ID'), 'projectReference'),
		precedingInvoices: precedingInvoices(r, root),
		notes: allAt(root, 'Note').map((note) => r.text(note)).filter((n): n is string => n !== undefined),
		seller: party(r, at(root, 'AccountingSupplierParty/Party'), 'seller') ?? { ids: [], globalIds: [] },
		buyer: party(r, at(root, 'AccountingCustomerParty/Party'), 'buyer') ?? { ids: [], globalIds: [] },
		payee: party(r, at(root, 'PayeeParty'), 'payee'),
		taxRepresentative: party(r, at(root, 'TaxRepresentativeParty'), 'taxRepresentative'),
		deliverTo: deliverTo(r, at(root, 'Delivery')),
		lines: allAt(root, creditNote ? 'CreditNoteLine' : 'InvoiceLine').map((l, i) => line(r, l, `lines[${i + 1}]`, creditNote)),
		allowancesCharges: allAt(root, 'AllowanceCharge').map((e, i) => allowanceCharge(r, e, `allowancesCharges[${i + 1}]`)),
		vatBreakdown: [],
		totals: {},
		payment: payment(r, root),
		attachments: attachments(r, root),
	};
	const taxTotals = allAt(root, 'TaxTotal');
	const main = taxTotals.find((t) => (r.attribute(at(t, 'TaxAmount'), 'currencyID') ?? currency) === currency) ?? taxTotals[0];
	invoice.vatBreakdown = allAt(main, 'TaxSubtotal').map((e, i) => vatBreakdown(r, e, `vatBreakdown[${i + 1}]`));
	invoice.totals = totals(r, at(root, 'LegalMonetaryTotal'), at(main, 'TaxAmount'), at(taxTotals.find((t) => t !== main), 'TaxAmount'));
	return dropEmpty(invoice);
}

function period(r: Reading, element: XmlElement | undefined, field: string): { from?: string; to?: string } | undefined {
	if (!element) return undefined;
	return nonEmpty({ from: r.date(at(element, 'StartDate'), `${field}.from`), to: r.date(at(element, 'EndDate'), `${field}.to`) });
}

function precedingInvoices(r: Reading, root: XmlElement): Array<{ number: string; issueDate?: string }> {
	const out: Array<{ number: string; issueDate?: string }> = [];
	allAt(root, 'BillingReference/InvoiceDocumentReference').forEach((doc, i) => {
		const number = r.text(at(doc, 'ID'), `precedingInvoices[${i + 1}].number`);
		if (number === undefined) return;
		const issueDate = r.date(at(doc, 'IssueDate'), `precedingInvoices[${i + 1}].issueDate`);
		out.push(issueDate ? { number, issueDate } : { number });
	});
	return out;
}

function party(r: Reading, element: XmlElement | undefined, field: string): ReceivedParty | undefined {
	if (!element) return undefined;
	const result: ReceivedParty = { ids: [], globalIds: [] };
	for (const id of allAt(element, 'PartyIdentification/ID')) {
		const value = r.text(id, `${field}.ids`);
		const scheme = r.attribute(id, 'schemeID');
		// the SEPA creditor identifier (BT-90) travels as a party identification with scheme SEPA
		if (value === undefined || scheme === 'SEPA') continue;
		if (scheme) result.globalIds.push({ id: value, scheme });
		else result.ids.push(value);
	}
	const registrationName = r.text(at(element, 'PartyLegalEntity/RegistrationName'), `${field}.name`);
	const partyName = r.text(at(element, 'PartyName/Name'), registrationName ? `${field}.tradingName` : `${field}.name`);
	result.name = registrationName ?? partyName;
	result.tradingName = registrationName ? partyName : undefined;
	result.legalRegistrationId = r.text(at(element, 'PartyLegalEntity/CompanyID'), `${field}.legalRegistrationId`);
	result.additionalLegalInfo = r.text(at(element, 'PartyLegalEntity/CompanyLegalForm'), `${field}.additionalLegalInfo`);
	for (const scheme of allAt(element, 'PartyTaxScheme')) {
		const kind = r.text(at(scheme, 'TaxScheme/ID'));
		if (kind === 'VAT') result.vatId = r.text(at(scheme, 'CompanyID'), `${field}.vatId`);
		else result.taxNumber = r.text(at(scheme, 'CompanyID'), `${field}.taxNumber`);
	}
	const endpoint = at(element, 'EndpointID');
	const endpointValue = r.text(endpoint, `${field}.electronicAddress`);
	if (endpointValue) result.electronicAddress = nonEmpty({ value: endpointValue, scheme: r.attribute(endpoint, 'schemeID') });
	result.address = address(r, at(element, 'PostalAddress'), `${field}.address`);
	const contact = at(element, 'Contact');
	result.contact = contact
		? nonEmpty({
				name: r.text(at(contact, 'Name'), `${field}.contact.name`),
				phone: r.text(at(contact, 'Telephone'), `${field}.contact.phone`),
				email: r.text(at(contact, 'ElectronicMail'), `${field}.contact.email`),
			})
		: undefined;
	return nonEmpty(result);
}

function address(r: Reading, element: XmlElement | undefined, field: string): ReceivedParty['address'] {
	if (!element) return undefined;
	const lines = [at(element, 'StreetName'), at(element, 'AdditionalStreetName'), at(element, 'AddressLine/Line')]
		.map((e, i) => r.text(e, `${field}.lines[${i + 1}]`))
		.filter((l): l is string => l !== undefined);
	return nonEmpty({
		lines,
		city: r.text(at(element, 'CityName'), `${field}.city`),
		postcode: r.text(at(element, 'PostalZone'), `${field}.postcode`),
		countrySubdivision: r.text(at(element, 'CountrySubentity'), `${field}.countrySubdivision`),
		country: r.text(at(element, 'Country/IdentificationCode'), `${field}.country`),
	});
}

function deliverTo(r: Reading, delivery: XmlElement | undefined): ReceivedParty | undefined {
	if (!delivery) return undefined;
	const location = at(delivery, 'DeliveryLocation');
	const id = r.text(at(location, 'ID'), 'deliverTo.ids');
	const scheme = r.attribute(at(location, 'ID'), 'schemeID');
	const result: ReceivedParty = {
		ids: id && !scheme ? [id] : [],
		globalIds: id && scheme ? [{ id, scheme }] : [],
		name: r.text(at(delivery, 'DeliveryParty/PartyName/Name'), 'deliverTo.name'),
		address: address(r, at(location, 'Address'), 'deliverTo.address'),
	};
	return result.name || result.address || id ? nonEmpty(result) : undefined;
}

function allowanceCharge(r: Reading, element: XmlElement, field: string): AllowanceCharge {
	return nonEmpty({
		charge: r.text(at(element, 'ChargeIndicator'), `${field}.charge`) === 'true',
		amount: r.decimal(at(element, 'Amount'), `${field}.amount`),
		baseAmount: r.decimal(at(element, 'BaseAmount'), `${field}.baseAmount`),
		percentage: r.decimal(at(element, 'MultiplierFactorNumeric'), `${field}.percentage`),
		reason: r.text(at(element, 'AllowanceChargeReason'), `${field}.reason`),
		reasonCode: r.text(at(element, 'AllowanceChargeReasonCode'), `${field}.reasonCode`),
		vatCategory: r.text(at(element, 'TaxCategory/ID'), `${field}.vatCategory`),
		vatRate: r.decimal(at(element, 'TaxCategory/Percent'), `${field}.vatRate`),
	}) as AllowanceCharge;
}

function line(r: Reading, element: XmlElement, field: string, creditNote: boolean): ReceivedLine {
	const item = at(element, 'Item');
	const price = at(element, 'Price');
	const quantity = at(element, creditNote ? 'CreditedQuantity' : 'InvoicedQuantity');
	const standard = at(item, 'StandardItemIdentification/ID');
	const standardValue = r.text(standard, `${field}.standardId`);
	const result: ReceivedLine = {
		id: r.text(at(element, 'ID'), `${field}.id`) ?? '',
		note: r.text(at(element, 'Note'), `${field}.note`),
		name: r.text(at(item, 'Name'), `${field}.name`),
		description: r.text(at(item, 'Description'), `${field}.description`),
		sellerArticleId: r.text(at(item, 'SellersItemIdentification/ID'), `${field}.sellerArticleId`),
		buyerArticleId: r.text(at(item, 'BuyersItemIdentification/ID'), `${field}.buyerArticleId`),
		standardId: standardValue ? nonEmpty({ id: standardValue, scheme: r.attribute(standard, 'schemeID') }) : undefined,
		quantity: r.decimal(quantity, `${field}.quantity`),
		unit: r.attribute(quantity, 'unitCode'),
		netPrice: r.decimal(at(price, 'PriceAmount'), `${field}.netPrice`),
		grossPrice: r.decimal(at(price, 'AllowanceCharge/BaseAmount'), `${field}.grossPrice`),
		priceBaseQuantity: r.decimal(at(price, 'BaseQuantity'), `${field}.priceBaseQuantity`),
		lineTotal: r.decimal(at(element, 'LineExtensionAmount'), `${field}.lineTotal`),
		vatCategory: r.text(at(item, 'ClassifiedTaxCategory/ID'), `${field}.vatCategory`),
		vatRate: r.decimal(at(item, 'ClassifiedTaxCategory/Percent'), `${field}.vatRate`),
		orderLineReference: r.text(at(element, 'OrderLineReference/LineID'), `${field}.orderLineReference`),
		period: period(r, at(element, 'InvoicePeriod'), `${field}.period`),
		allowancesCharges: allAt(element, 'AllowanceCharge').map((e, i) => allowanceCharge(r, e, `${field}.allowancesCharges[${i + 1}]`)),
	};
	return nonEmpty(result) as ReceivedLine;
}

function vatBreakdown(r: Reading, element: XmlElement, field: string): ReceivedVatBreakdown {
	return (
		nonEmpty({
			category: r.text(at(element, 'TaxCategory/ID'), `${field}.category`),
			rate: r.decimal(at(element, 'TaxCategory/Percent'), `${field}.rate`),
			taxableAmount: r.decimal(at(element, 'TaxableAmount'), `${field}.taxableAmount`),
			taxAmount: r.decimal(at(element, 'TaxAmount'), `${field}.taxAmount`),
			exemptionReason: r.text(at(element, 'TaxCategory/TaxExemptionReason'), `${field}.exemptionReason`),
			exemptionReasonCode: r.text(at(element, 'TaxCategory/TaxExemptionReasonCode'), `${field}.exemptionReasonCode`),
		}) ?? {}
	);
}

function totals(r: Reading, element: XmlElement | undefined, vat?: XmlElement, vatAccounting?: XmlElement): ReceivedTotals {
	const f = 'totals';
	return (
		nonEmpty({
			lineTotal: r.decimal(at(element, 'LineExtensionAmount'), `${f}.lineTotal`),
			allowanceTotal: r.decimal(at(element, 'AllowanceTotalAmount'), `${f}.allowanceTotal`),
			chargeTotal: r.decimal(at(element, 'ChargeTotalAmount'), `${f}.chargeTotal`),
			taxBasisTotal: r.decimal(at(element, 'TaxExclusiveAmount'), `${f}.taxBasisTotal`),
			vatTotal: r.decimal(vat, `${f}.vatTotal`),
			vatTotalInAccountingCurrency: r.decimal(vatAccounting, `${f}.vatTotalInAccountingCurrency`),
			grandTotal: r.decimal(at(element, 'TaxInclusiveAmount'), `${f}.grandTotal`),
			prepaidAmount: r.decimal(at(element, 'PrepaidAmount'), `${f}.prepaidAmount`),
			roundingAmount: r.decimal(at(element, 'PayableRoundingAmount'), `${f}.roundingAmount`),
			amountDue: r.decimal(at(element, 'PayableAmount'), `${f}.amountDue`),
		}) ?? {}
	);
}

function payment(r: Reading, root: XmlElement): ReceivedPayment {
	const means = allAt(root, 'PaymentMeans');
	const accounts: ReceivedPayment['accounts'] = [];
	means.forEach((m, i) => {
		const account = at(m, 'PayeeFinancialAccount');
		const iban = r.text(at(account, 'ID'), `payment.accounts[${i + 1}].iban`);
		if (iban === undefined) return;
		const entry = {
			iban,
			accountName: r.text(at(account, 'Name'), `payment.accounts[${i + 1}].accountName`),
			bic: r.text(at(account, 'FinancialInstitutionBranch/ID'), `payment.accounts[${i + 1}].bic`),
		};
		accounts.push(nonEmpty(entry) as ReceivedPayment['accounts'][number]);
	});
	const terms = allAt(root, 'PaymentTerms/Note')
		.map((d) => r.text(d, 'payment.terms'))
		.filter((t): t is string => t !== undefined);
	const creditor = [...allAt(root, 'AccountingSupplierParty/Party/PartyIdentification/ID'), ...allAt(root, 'PayeeParty/PartyIdentification/ID')].find(
		(id) => r.attribute(id, 'schemeID') === 'SEPA',
	);
	return nonEmpty({
		meansCode: r.text(at(means[0], 'PaymentMeansCode'), 'payment.meansCode'),
		meansText: r.attribute(at(means[0], 'PaymentMeansCode'), 'name'),
		remittanceInformation: r.text(at(means[0], 'PaymentID'), 'payment.remittanceInformation'),
		terms: terms.length > 0 ? terms.join('\n') : undefined,
		accounts,
		mandateReference: r.text(at(means[0], 'PaymentMandate/ID'), 'payment.mandateReference'),
		creditorId: r.text(creditor, 'payment.creditorId'),
		debitedAccount: r.text(at(means[0], 'PaymentMandate/PayerFinancialAccount/ID'), 'payment.debitedAccount'),
	}) as ReceivedPayment;
}

function attachments(r: Reading, root: XmlElement): ReceivedAttachment[] {
	return allAt(root, 'AdditionalDocumentReference')
		.filter((doc) => r.text(at(doc, 'DocumentTypeCode')) !== INVOICED_OBJECT)
		.map((doc, i) => {
			const field = `attachments[${i + 1}]`;
			const binary = at(doc, 'Attachment/EmbeddedDocumentBinaryObject');
			return (
				nonEmpty({
					id: r.text(at(doc, 'ID'), `${field}.id`),
					description: r.text(at(doc, 'DocumentDescription'), `${field}.description`),
					uri: r.text(at(doc, 'Attachment/ExternalReference/URI'), `${field}.uri`),
					fileName: r.attribute(binary, 'filename'),
					mimeCode: r.attribute(binary, 'mimeCode'),
					size: binary ? base64Size(binary.rawText) : undefined,
				}) ?? {}
			);
		});
}
