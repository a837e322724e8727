import type { XmlElement } from '../xml';
import { profileOf, isCreditNoteCode } from './profiles';
import { Reading, allAt, at, nonEmpty } from './reading';
import type {
	AllowanceCharge,
	EInvoiceSyntax,
	ReceivedAttachment,
	ReceivedInvoice,
	ReceivedLine,
	ReceivedParty,
	ReceivedPayment,
	ReceivedTotals,
	ReceivedVatBreakdown,
} from './types';

/**
 * Reads an invoice in UN/CEFACT Cross Industry Invoice syntax: CII D16B as Factur-X / ZUGFeRD 2.x (every profile,
 * MINIMUM to EXTENDED) and XRechnung CII write it, and the older `CrossIndustryDocument` of ZUGFeRD 1.0. The two
 * differ mostly in the names of their containers (`ApplicableHeaderTradeAgreement` there,
 * `ApplicableSupplyChainTradeAgreement` here, `RateApplicablePercent` / `ApplicablePercent` …), so each path
 * below names both where they differ, and one reader serves both.
 */

const CONTEXT = 'ExchangedDocumentContext|SpecifiedExchangedDocumentContext';
const HEADER = 'ExchangedDocument|HeaderExchangedDocument';
const TRANSACTION = 'SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction';
const AGREEMENT = 'ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement';
const DELIVERY = 'ApplicableHeaderTradeDelivery|ApplicableSupplyChainTradeDelivery';
const SETTLEMENT = 'ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement';
const SUMMATION = 'SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation';
const RATE = 'RateApplicablePercent|ApplicablePercent';
const REFERENCE_ID = 'IssuerAssignedID|ID';
const LINE_AGREEMENT = 'SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement';
const LINE_DELIVERY = 'SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery';
const LINE_SETTLEMENT = 'SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement';
const LINE_SUMMATION = 'SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation';

/** UNTDID 1001 code 916: "related document", the supporting documents of BG-24. */
const SUPPORTING_DOCUMENT = '916';

export function readCiiInvoice(root: XmlElement, reading: Reading, syntax: EInvoiceSyntax): ReceivedInvoice {
	const r = reading;
	const header = at(root, HEADER);
	const transaction = at(root, TRANSACTION);
	const agreement = at(transaction, AGREEMENT);
	const delivery = at(transaction, DELIVERY);
	const settlement = at(transaction, SETTLEMENT);
	const specification = r.text(at(root, `${CONTEXT}/GuidelineSpecifiedDocumentContextParameter/ID`), 'specification');
	const typeCode = r.text(at(header, 'TypeCode'), 'typeCode');
	const currency = r.text(at(settlement, 'InvoiceCurrencyCode'), 'currency');
	const invoice: ReceivedInvoice = {
		syntax,
		specification,
		profile: profileOf(specification),
		businessProcess: r.text(at(root, `${CONTEXT}/BusinessProcessSpecifiedDocumentContextParameter/ID`), 'businessProcess'),
		number: r.text(at(header, 'ID'), 'number'),
		typeCode,
		type: isCreditNoteCode(typeCode) ? 'creditNote' : 'invoice',
		issueDate: r.date(at(header, 'IssueDateTime/DateTimeString'), 'issueDate'),
		dueDate: r.date(at(settlement, 'SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString'), 'dueDate'),
		taxPointDate: r.date(at(settlement, 'ApplicableTradeTax/TaxPointDate/DateString'), 'taxPointDate'),
		deliveryDate: r.date(at(delivery, 'ActualDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString'), 'deliveryDate'),
		invoicePeriod: period(r, at(settlement, 'BillingSpecifiedPeriod'), 'invoicePeriod'),
		currency,
		vatCurrency: r.text(at(settlement, 'TaxCurrencyCode'), 'vatCurrency'),
		buyerReference: r.text(at(agreement, 'BuyerReference'), 'buyerReference'),
		orderReference: r.text(at(agreement, `BuyerOrderReferencedDocument/${REFERENCE_ID}`), 'orderReference'),
		salesOrderReference: r.text(at(agreement, `SellerOrderReferencedDocument/${REFERENCE_ID}`), 'salesOrderReference'),
		despatchAdviceReference: r.text(
			at(delivery, `DespatchAdviceReferencedDocument/${REFERENCE_ID}`) ?? at(delivery, `DeliveryNoteReferencedDocument/${REFERENCE_ID}`),
			'despatchAdviceReference',
		),
		receivingAdviceReference: r.text(at(delivery, `ReceivingAdviceReferencedDocument/${REFERENCE_ID}`), 'receivingAdviceReference'),
		contractReference: r.text(at(agreement, `ContractReferencedDocument/${REFERENCE_ID}`), 'contractReference'),
		projectReference: r.text(at(agreement, 'SpecifiedProcuringProject/ID'), 'projectReference'),
		precedingInvoices: precedingInvoices(r, settlement),
		notes: allAt(header, 'IncludedNote/Content').map((note) => r.text(note)).filter((n): n is string => n !== undefined),
		seller: party(r, at(agreement, 'SellerTradeParty'), 'seller') ?? { ids: [], globalIds: [] },
		buyer: party(r, at(agreement, 'BuyerTradeParty'), 'buyer') ?? { ids: [], globalIds: [] },
		payee: party(r, at(settlement, 'PayeeTradeParty'), 'payee'),
		taxRepresentative: party(r, at(agreement, 'SellerTaxRepresentativeTradeParty'), 'taxRepresentative'),
		deliverTo: party(r, at(delivery, 'ShipToTradeParty'), 'deliverTo'),
		lines: allAt(transaction, 'IncludedSupplyChainTradeLineItem').map((item, i) => line(r, item, `lines[${i + 1}]`)),
		allowancesCharges: allAt(settlement, 'SpecifiedTradeAllowanceCharge').map((e, i) => allowanceCharge(r, e, `allowancesCharges[${i + 1}]`)),
		vatBreakdown: allAt(settlement, 'ApplicableTradeTax').map((e, i) => vatBreakdown(r, e, `vatBreakdown[${i + 1}]`)),
		totals: totals(r, at(settlement, SUMMATION), currency),
		payment: payment(r, settlement),
		attachments: attachments(r, agreement),
	};
	return dropEmpty(invoice);
}

/** Leaves out the optional terms the document did not carry, so that the item shows only what was said. */
export function dropEmpty(invoice: ReceivedInvoice): ReceivedInvoice {
	for (const key of Object.keys(invoice) as Array<keyof ReceivedInvoice>) {
		if (invoice[key] === undefined) delete invoice[key];
	}
	return invoice;
}

function period(r: Reading, element: XmlElement | undefined, field: string): { from?: string; to?: string } | undefined {
	if (!element) return undefined;
	return nonEmpty({
		from: r.date(at(element, 'StartDateTime/DateTimeString'), `${field}.from`),
		to: r.date(at(element, 'EndDateTime/DateTimeString'), `${field}.to`),
	});
}

function precedingInvoices(r: Reading, settlement: XmlElement | undefined): Array<{ number: string; issueDate?: string }> {
	const out: Array<{ number: string; issueDate?: string }> = [];
	allAt(settlement, 'InvoiceReferencedDocument').forEach((doc, i) => {
		const number = r.text(at(doc, REFERENCE_ID), `precedingInvoices[${i + 1}].number`);
		if (number === undefined) return;
		const issueDate = r.date(at(doc, 'FormattedIssueDateTime/DateTimeString'), `precedingInvoices[${i + 1}].issueDate`);
		out.push(issueDate ? { number, issueDate } : { number });
	});
	return out;
}

function party(r: Reading, element: XmlElement | undefined, field: string): ReceivedParty | undefined {
	if (!element) return undefined;
	const result: ReceivedParty = { ids: [], globalIds: [] };
	for (const id of allAt(element, 'ID')) {
		const value = r.text(id, `${field}.ids`);
		if (value !== undefined) result.ids.push(value);
	}
	for (const id of allAt(element, 'GlobalID')) {
		const value = r.text(id, `${field}.globalIds`);
		if (value !== undefined) result.globalIds.push(nonEmpty({ id: value, scheme: r.attribute(id, 'schemeID') })!);
	}
	result.name = r.text(at(element, 'Name'), `${field}.name`);
	result.tradingName = r.text(at(element, 'SpecifiedLegalOrganization/TradingBusinessName'), `${field}.tradingName`);
	result.legalRegistrationId = r.text(at(element, 'SpecifiedLegalOrganization/ID'), `${field}.legalRegistrationId`);
	result.additionalLegalInfo = r.text(at(element, 'Description'), `${field}.additionalLegalInfo`);
	for (const registration of allAt(element, 'SpecifiedTaxRegistration/ID')) {
		const scheme = r.attribute(registration, 'schemeID');
		if (scheme === 'VA') result.vatId = r.text(registration, `${field}.vatId`);
		else if (scheme === 'FC') result.taxNumber = r.text(registration, `${field}.taxNumber`);
	}
	const endpoint = at(element, 'URIUniversalCommunication/URIID');
	const endpointValue = r.text(endpoint, `${field}.electronicAddress`);
	if (endpointValue) result.electronicAddress = nonEmpty({ value: endpointValue, scheme: r.attribute(endpoint, 'schemeID') });
	result.address = address(r, at(element, 'PostalTradeAddress'), `${field}.address`);
	const contact = at(element, 'DefinedTradeContact');
	result.contact = contact
		? nonEmpty({
				name: r.text(at(contact, 'PersonName') ?? at(contact, 'DepartmentName'), `${field}.contact.name`),
				phone: r.text(at(contact, 'TelephoneUniversalCommunication/CompleteNumber'), `${field}.contact.phone`),
				email: r.text(at(contact, 'EmailURIUniversalCommunication/URIID'), `${field}.contact.email`),
			})
		: undefined;
	return nonEmpty(result);
}

function address(r: Reading, element: XmlElement | undefined, field: string): ReceivedParty['address'] {
	if (!element) return undefined;
	const lines = ['LineOne', 'LineTwo', 'LineThree']
		.map((name, i) => r.text(at(element, name), `${field}.lines[${i + 1}]`))
		.filter((l): l is string => l !== undefined);
	return nonEmpty({
		lines,
		city: r.text(at(element, 'CityName'), `${field}.city`),
		postcode: r.text(at(element, 'PostcodeCode'), `${field}.postcode`),
		countrySubdivision: r.text(at(element, 'CountrySubDivisionName'), `${field}.countrySubdivision`),
		country: r.text(at(element, 'CountryID'), `${field}.country`),
	});
}

function allowanceCharge(r: Reading, element: XmlElement, field: string): AllowanceCharge {
	const indicator = r.text(at(element, 'ChargeIndicator/Indicator'), `${field}.charge`);
	const tax = at(element, 'CategoryTradeTax');
	return nonEmpty({
		charge: indicator === 'true',
		amount: r.decimal(at(element, 'ActualAmount'), `${field}.amount`) ?? '',
		baseAmount: r.decimal(at(element, 'BasisAmount'), `${field}.baseAmount`),
		percentage: r.decimal(at(element, 'CalculationPercent'), `${field}.percentage`),
		reason: r.text(at(element, 'Reason'), `${field}.reason`),
		reasonCode: r.text(at(element, 'ReasonCode'), `${field}.reasonCode`),
		vatCategory: r.text(at(tax, 'CategoryCode'), `${field}.vatCategory`),
		vatRate: r.decimal(at(tax, RATE), `${field}.vatRate`),
	}) as AllowanceCharge;
}

function line(r: Reading, item: XmlElement, field: string): ReceivedLine {
	const document = at(item, 'AssociatedDocumentLineDocument');
	const product = at(item, 'SpecifiedTradeProduct');
	const agreement = at(item, LINE_AGREEMENT);
	const settlement = at(item, LINE_SETTLEMENT);
	const quantity = at(item, `${LINE_DELIVERY}/BilledQuantity`);
	const globalId = at(product, 'GlobalID');
	const globalIdValue = r.text(globalId, `${field}.standardId`);
	const net = at(agreement, 'NetPriceProductTradePrice');
	const gross = at(agreement, 'GrossPriceProductTradePrice');
	const result: ReceivedLine = {
		id: r.text(at(document, 'LineID'), `${field}.id`) ?? '',
		note: r.text(at(document, 'IncludedNote/Content'), `${field}.note`),
		status: r.text(at(document, 'LineStatusReasonCode'), `${field}.status`),
		parentLineId: r.text(at(document, 'ParentLineID'), `${field}.parentLineId`),
		name: r.text(at(product, 'Name'), `${field}.name`),
		description: r.text(at(product, 'Description'), `${field}.description`),
		sellerArticleId: r.text(at(product, 'SellerAssignedID'), `${field}.sellerArticleId`),
		buyerArticleId: r.text(at(product, 'BuyerAssignedID'), `${field}.buyerArticleId`),
		standardId: globalIdValue ? nonEmpty({ id: globalIdValue, scheme: r.attribute(globalId, 'schemeID') }) : undefined,
		quantity: r.decimal(quantity, `${field}.quantity`),
		unit: r.attribute(quantity, 'unitCode'),
		netPrice: r.decimal(at(net, 'ChargeAmount'), `${field}.netPrice`),
		grossPrice: r.decimal(at(gross, 'ChargeAmount'), `${field}.grossPrice`),
		priceBaseQuantity: r.decimal(at(net, 'BasisQuantity') ?? at(gross, 'BasisQuantity'), `${field}.priceBaseQuantity`),
		lineTotal: r.decimal(at(settlement, `${LINE_SUMMATION}/LineTotalAmount`), `${field}.lineTotal`),
		vatCategory: r.text(at(settlement, 'ApplicableTradeTax/CategoryCode'), `${field}.vatCategory`),
		vatRate: r.decimal(at(settlement, `ApplicableTradeTax/${RATE}`), `${field}.vatRate`),
		orderLineReference: r.text(at(agreement, 'BuyerOrderReferencedDocument/LineID'), `${field}.orderLineReference`),
		period: period(r, at(settlement, 'BillingSpecifiedPeriod'), `${field}.period`),
		allowancesCharges: allAt(settlement, 'SpecifiedTradeAllowanceCharge').map((e, i) =>
			allowanceCharge(r, e, `${field}.allowancesCharges[${i + 1}]`),
		),
	};
	return nonEmpty(result) as ReceivedLine;
}

function vatBreakdown(r: Reading, element: XmlElement, field: string): ReceivedVatBreakdown {
	return nonEmpty({
		category: r.text(at(element, 'CategoryCode'), `${field}.category`),
		rate: r.decimal(at(element, RATE), `${field}.rate`),
		taxableAmount: r.decimal(at(element, 'BasisAmount'), `${field}.taxableAmount`),
		taxAmount: r.decimal(at(element, 'CalculatedAmount'), `${field}.taxAmount`),
		exemptionReason: r.text(at(element, 'ExemptionReason'), `${field}.exemptionReason`),
		exemptionReasonCode: r.text(at(element, 'ExemptionReasonCode'), `${field}.exemptionReasonCode`),
	}) ?? {};
}

function totals(r: Reading, element: XmlElement | undefined, currency: string | undefined): ReceivedTotals {
	const f = 'totals';
	// BT-110 and BT-111 are both TaxTotalAmount, told apart by their currency
	const taxTotals = allAt(element, 'TaxTotalAmount');
	const inInvoiceCurrency = taxTotals.find((t) => (r.attribute(t, 'currencyID') ?? currency) === currency) ?? taxTotals[0];
	const inAccountingCurrency = taxTotals.find((t) => t !== inInvoiceCurrency);
	return (
		nonEmpty({
			lineTotal: r.decimal(at(element, 'LineTotalAmount'), `${f}.lineTotal`),
			allowanceTotal: r.decimal(at(element, 'AllowanceTotalAmount'), `${f}.allowanceTotal`),
			chargeTotal: r.decimal(at(element, 'ChargeTotalAmount'), `${f}.chargeTotal`),
			taxBasisTotal: r.decimal(at(element, 'TaxBasisTotalAmount'), `${f}.taxBasisTotal`),
			vatTotal: r.decimal(inInvoiceCurrency, `${f}.vatTotal`),
			vatTotalInAccountingCurrency: r.decimal(inAccountingCurrency, `${f}.vatTotalInAccountingCurrency`),
			grandTotal: r.decimal(at(element, 'GrandTotalAmount'), `${f}.grandTotal`),
			prepaidAmount: r.decimal(at(element, 'TotalPrepaidAmount'), `${f}.prepaidAmount`),
			roundingAmount: r.decimal(at(element, 'RoundingAmount'), `${f}.roundingAmount`),
			amountDue: r.decimal(at(element, 'DuePayableAmount'), `${f}.amountDue`),
		}) ?? {}
	);
}

function payment(r: Reading, settlement: XmlElement | undefined): ReceivedPayment {
	const means = allAt(settlement, 'SpecifiedTradeSettlementPaymentMeans');
	const accounts: ReceivedPayment['accounts'] = [];
	means.forEach((m, i) => {
		const account = at(m, 'PayeePartyCreditorFinancialAccount');
		const iban = r.text(at(account, 'IBANID') ?? at(account, 'ProprietaryID'), `payment.accounts[${i + 1}].iban`);
		if (iban === undefined) return;
		const entry = {
			iban,
			accountName: r.text(at(account, 'AccountName'), `payment.accounts[${i + 1}].accountName`),
			bic: r.text(at(m, 'PayeeSpecifiedCreditorFinancialInstitution/BICID'), `payment.accounts[${i + 1}].bic`),
		};
		accounts.push(nonEmpty(entry) as ReceivedPayment['accounts'][number]);
	});
	const terms = allAt(settlement, 'SpecifiedTradePaymentTerms/Description')
		.map((d) => r.text(d, 'payment.terms'))
		.filter((t): t is string => t !== undefined);
	return nonEmpty({
		meansCode: r.text(at(means[0], 'TypeCode'), 'payment.meansCode'),
		meansText: r.text(at(means[0], 'Information'), 'payment.meansText'),
		remittanceInformation: r.text(at(settlement, 'PaymentReference'), 'payment.remittanceInformation'),
		terms: terms.length > 0 ? terms.join('\n') : undefined,
		accounts,
		mandateReference: r.text(at(settlement, 'SpecifiedTradePaymentTerms/DirectDebitMandateID'), 'payment.mandateReference'),
		creditorId: r.text(at(settlement, 'CreditorReferenceID'), 'payment.creditorId'),
		debitedAccount: r.text(at(means[0], 'PayerPartyDebtorFinancialAccount/IBANID'), 'payment.debitedAccount'),
	}) as ReceivedPayment;
}

/** BG-24: the additional documents of type 916; an embedded file is described (name, type, size), not copied. */
function attachments(r: Reading, agreement: XmlElement | undefined): ReceivedAttachment[] {
	return allAt(agreement, 'AdditionalReferencedDocument')
		.filter((doc) => r.text(at(doc, 'TypeCode')) === SUPPORTING_DOCUMENT)
		.map((doc, i) => {
			const field = `attachments[${i + 1}]`;
			const binary = at(doc, 'AttachmentBinaryObject');
			return nonEmpty({
				id: r.text(at(doc, REFERENCE_ID), `${field}.id`),
				description: r.text(at(doc, 'Name'), `${field}.description`),
				uri: r.text(at(doc, 'URIID'), `${field}.uri`),
				fileName: r.attribute(binary, 'filename'),
				mimeCode: r.attribute(binary, 'mimeCode'),
				size: binary ? base64Size(binary.rawText) : undefined,
			}) ?? {};
		});
}

/** The decoded size of base64 text, without decoding it. */
export function base64Size(text: string): number {
	const compact = text.replace(/\s+/g, '');
	const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
	return Math.max(0, Math.floor((compact.length * 3) / 4) - padding);
}
