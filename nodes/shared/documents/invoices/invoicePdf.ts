import { createHash } from 'node:crypto';
import Big from 'big.js';
import { PDFDocument, PDFHexString } from 'pdf-lib';
import type { PDFImage } from 'pdf-lib';
import { DocumentError } from '../DocumentError';
import { countryName, currencySymbol, formatDate, formatDecimal, formatIban, formatMoney, formatPrice, formatRate } from './format';
import { LABELS } from './invoiceLabels';
import type { Labels } from './invoiceLabels';
import {
	CONTENT_WIDTH,
	HEADER_FILL,
	INK,
	LEFT,
	MM,
	MUTED,
	PAGE_HEIGHT,
	PAGE_WIDTH,
	PageCanvas,
	RIGHT,
	RULE,
	drawable,
	embedFonts,
	fittingSize,
	measuringFaces,
	missingGlyph,
	present,
	rule,
	text,
	textWidth,
	wrap,
} from './pdfText';
import type { Fonts, MeasuringFace } from './pdfText';
import { allowanceChargeTexts } from './allowancesCharges';
import { checkInvoice, isCheckedInvoice } from './totals';
import type { CheckedInvoice, Invoice, InvoiceTotals } from './types';
import { unitCodeFor, unitLabel } from './unitCodes';
import type { InvoiceLanguage } from './unitCodes';
import { canonicalJson as canonical } from '../canonicalJson';

/**
 * The invoice as a PDF a German customer (and their accountant) accepts: the §14 UStG content on an A4 page laid
 * out after DIN 5008 form B, so that the address shows in a window envelope. Drawn with pdf-lib and DejaVu Sans,
 * embedded as subsets, because the 14 standard PDF fonts can neither show "€" reliably nor be embedded — and
 * PDF/A-3 (Factur-X) requires every font to be embedded.
 *
 * The output depends on nothing but the input: dates come from the invoice, the document ID and the font subset
 * tags from a hash of the input, so the same invoice gives the same bytes and the mailer can tell "already sent"
 * by a content hash.
 */

export interface InvoicePdfOptions {
	/** a PNG or JPEG, drawn top right within 60 × 22 mm */
	logo?: Uint8Array;
	/** the language of the printed labels; German by default */
	language?: InvoiceLanguage;
}

/** The document information the PDF carries, for the XMP metadata that PDF/A-3 requires to match it. */
export interface InvoicePdfMetadata {
	title: string;
	author: string;
	creator: string;
	producer: string;
	/** midnight UTC of the invoice date; also the modification date */
	creationDate: Date;
	/** BCP 47 tag written to the catalog's /Lang */
	language: string;
	/** the 16-byte document ID (hex) in the trailer's /ID, both halves equal */
	documentId: string;
}

const PRODUCER = 'n8n-nodes-backoffice (pdf-lib 1.17.1)';
const CREATOR = 'n8n-nodes-backoffice Invoice Bulk Mailer';

// ----------------------------------------------------------------------------------------------- the table

interface Column {
	key: 'pos' | 'description' | 'quantity' | 'unit' | 'unitPrice' | 'vat' | 'amount';
	width: number;
	align: 'left' | 'right';
}

/** Widths in mm, 165 mm in all: the description takes what the figures leave. */
const COLUMNS: Column[] = [
	{ key: 'pos', width: 10, align: 'left' },
	{ key: 'description', width: 66, align: 'left' },
	{ key: 'quantity', width: 15, align: 'right' },
	{ key: 'unit', width: 19, align: 'left' },
	{ key: 'unitPrice', width: 22, align: 'right' },
	{ key: 'vat', width: 11, align: 'right' },
	{ key: 'amount', width: 22, align: 'right' },
].map((c) => ({ ...c, width: c.width * MM }) as Column);

const CELL_PAD = 1.6 * MM;
const TABLE_SIZE = 8.5;
const TABLE_LEADING = 11;
const HEADER_HEIGHT = 6.5 * MM;
const ROW_PAD = 1.4 * MM;
const CARRY_HEIGHT = 6 * MM;
/** where the table starts on the second and later pages, below their short head */
const CONTINUATION_TOP = 25 * MM;

function columnX(key: Column['key']): { left: number; right: number; width: number } {
	let x = LEFT;
	for (const column of COLUMNS) {
		if (column.key === key) return { left: x + CELL_PAD, right: x + column.width - CELL_PAD, width: column.width - 2 * CELL_PAD };
		x += column.width;
	}
	throw new Error(`no column ${key}`);
}

// ----------------------------------------------------------------------------------------------- the layout

interface Context {
	doc: PDFDocument;
	invoice: Invoice;
	totals: InvoiceTotals;
	fonts: Fonts;
	labels: Labels;
	language: InvoiceLanguage;
	currency: string;
	logo?: PDFImage;
	footer: FooterLayout;
}

interface FooterLayout {
	columns: string[][];
	size: number;
	leading: number;
	/** where the footer's rule runs, from the top edge */
	top: number;
}

/** Keeps the current page and how far down it is filled; starts new pages with the continuation header. */
class Flow {
	readonly pages: PageCanvas[] = [];
	page!: PageCanvas;
	y = 0;
	constructor(private readonly ctx: Context) {}

	get bottom(): number {
		// room above the footer for "Seite n von m"
		return this.ctx.footer.top - 9 * MM;
	}

	fits(height: number): boolean {
		return this.y + height <= this.bottom;
	}

	newPage(): void {
		this.page = new PageCanvas(this.ctx.doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]));
		this.pages.push(this.page);
		if (this.pages.length === 1) {
			this.y = drawFirstPageHead(this.ctx, this.page);
		} else {
			this.y = drawContinuationHead(this.ctx, this.page);
		}
	}
}

/** The information block right of the address (DIN 5008: from 125 mm); returns where it ends. */
function drawInformationBlock(ctx: Context, page: PageCanvas): number {
	const { invoice, fonts, labels, language } = ctx;
	const buyer = invoice.buyer;
	const info: Array<[string, string]> = [];
	info.push([labels.numberLabel[invoice.type], invoice.number.trim()]);
	info.push([labels.issueDate[invoice.type], formatDate(invoice.issueDate, language)]);
	if (invoice.servicePeriod) {
		info.push([
			labels.servicePeriod,
			`${formatDate(invoice.servicePeriod.from, language)} – ${formatDate(invoice.servicePeriod.to, language)}`,
		]);
	} else if (present(invoice.deliveryDate)) {
		info.push([labels.deliveryDate, formatDate(invoice.deliveryDate, language)]);
	}
	if (present(buyer.customerNumber)) info.push([labels.customerNumber, buyer.customerNumber.trim()]);
	if (present(buyer.buyerReference)) info.push([labels.buyerReference, buyer.buyerReference.trim()]);
	if (present(invoice.orderReference)) info.push([labels.orderReference, invoice.orderReference.trim()]);
	if (present(buyer.vatId)) info.push([labels.buyerVatId, buyer.vatId.trim()]);
	if (present(invoice.dueDate)) info.push([labels.dueDate, formatDate(invoice.dueDate, language)]);
	const infoLeft = 125 * MM;
	let infoTop = 50 * MM;
	for (const [label, value] of info) {
		const labelWidth = text(page, label, infoLeft, infoTop, { face: fonts.regular, size: 8.5, color: MUTED });
		const room = RIGHT - infoLeft - labelWidth - 3 * MM;
		const beside = textWidth(drawable(value, fonts.regular), fonts.regular, 8.5) <= room;
		// a value too long to stand beside its label goes on the lines below it
		if (!beside) infoTop += 4.2 * MM;
		for (const line of beside ? [value] : wrap(value, fonts.regular, 8.5, RIGHT - infoLeft)) {
			text(page, line, RIGHT, infoTop, { face: fonts.regular, size: 8.5, align: 'right' });
			infoTop += 4.2 * MM;
		}
	}

	return infoTop;
}

function drawFirstPageHead(ctx: Context, page: PageCanvas): number {
	const { invoice, fonts, labels, language } = ctx;
	const seller = invoice.seller;
	const buyer = invoice.buyer;

	// fold marks (DIN 5008 form B: 105 and 210 mm) and the punch mark (148.5 mm), at the left edge
	for (const [top, length] of [
		[105, 5],
		[148.5, 7],
		[210, 5],
	] as const) {
		rule(page, 4 * MM, (4 + length) * MM, top * MM, 0.4, RULE);
	}

	// the seller block: name, address and contact, with the logo (if any) top right
	let headRight = RIGHT;
	if (ctx.logo) {
		const scale = Math.min((60 * MM) / ctx.logo.width, (22 * MM) / ctx.logo.height);
		const width = ctx.logo.width * scale;
		const height = ctx.logo.height * scale;
		page.image(ctx.logo, RIGHT - width, PAGE_HEIGHT - 12 * MM - height, width, height);
		headRight = RIGHT - width - 6 * MM;
	}
	const nameLines = wrap(seller.name, fonts.bold, 15, headRight - LEFT).slice(0, 2);
	let top = 20 * MM;
	for (const line of nameLines) {
		text(page, line, LEFT, top, { face: fonts.bold, size: 15 });
		top += 6.5 * MM;
	}
	top -= 1.5 * MM;
	const sellerCountry = (seller.country ?? 'DE').trim() || 'DE';
	const buyerCountry = (buyer.country ?? 'DE').trim() || 'DE';
	const addressLine = [
		seller.street,
		`${seller.zip} ${seller.city}`,
		sellerCountry !== 'DE' || buyerCountry !== sellerCountry ? countryName(sellerCountry, language) : '',
	].filter(present);
	const contactLine = [
		present(seller.phone) ? `${labels.phone} ${seller.phone}` : '',
		present(seller.email) ? seller.email : '',
		present(seller.website) ? seller.website : '',
	].filter(present);
	for (const line of [addressLine.join(' · '), contactLine.join(' · ')].filter(present)) {
		for (const wrapped of wrap(line, fonts.regular, 8.5, headRight - LEFT)) {
			text(page, wrapped, LEFT, top, { face: fonts.regular, size: 8.5, color: MUTED });
			top += 3.8 * MM;
		}
	}

	// the sender line in the window's top zone, so the post office knows where to return the letter
	const sender = [seller.name, seller.street, `${seller.zip} ${seller.city}`].filter(present).join(' · ');
	let senderSize = 7;
	senderSize = fittingSize(sender, fonts.regular, senderSize, 85 * MM);
	const senderWidth = text(page, sender, LEFT, 59 * MM, { face: fonts.regular, size: senderSize, color: MUTED });
	rule(page, LEFT, LEFT + senderWidth, 60.2 * MM, 0.4, RULE);

	const address = addressLayout(invoice, fonts.regular, language);
	let addressTop = address.top;
	for (const line of address.lines) {
		text(page, line, LEFT, addressTop, { face: fonts.regular, size: address.size });
		addressTop += address.leading;
	}

	const infoTop = drawInformationBlock(ctx, page);

	// the subject line (DIN 5008 form B: about 103 mm), below whatever the blocks above needed
	let titleTop = Math.max(103.4 * MM, addressTop + 8 * MM, infoTop + 6 * MM);
	const title = `${labels.title[invoice.type]} ${labels.numberPrefix} ${invoice.number.trim()}`;
	for (const line of wrap(title, fonts.bold, 14, CONTENT_WIDTH)) {
		text(page, line, LEFT, titleTop, { face: fonts.bold, size: 14 });
		titleTop += 6 * MM;
	}
	if (invoice.precedingInvoice && present(invoice.precedingInvoice.number)) {
		const date = present(invoice.precedingInvoice.issueDate) ? formatDate(invoice.precedingInvoice.issueDate, language) : undefined;
		text(page, labels.correction(invoice.precedingInvoice.number.trim(), date), LEFT, titleTop - 1 * MM, {
			face: fonts.regular,
			size: 9.5,
		});
		titleTop += 5 * MM;
	}
	return titleTop + 1 * MM;
}

/** The address zone of DIN 5008 form B: 62.7 mm from the top edge, 27.3 mm high, 80 mm wide. */
const ADDRESS_ZONE = { top: 62.7 * MM, bottom: 90 * MM, width: 80 * MM };

/**
 * The buyer's address as it goes into the envelope window: at 10 pt, or smaller (down to 7 pt) when its lines
 * would not fit the zone. Throws a DocumentError when even 7 pt does not hold it, rather than print past the
 * window into the letter.
 */
function addressLayout(invoice: Readonly<Invoice>, face: MeasuringFace, language: InvoiceLanguage) {
	const { buyer } = invoice;
	const sellerCountry = (invoice.seller.country ?? 'DE').trim() || 'DE';
	const buyerCountry = (buyer.country ?? 'DE').trim() || 'DE';
	const parts = [buyer.name, buyer.name2, buyer.street, `${buyer.zip} ${buyer.city}`].filter(present);
	const country = buyerCountry !== sellerCountry ? [countryName(buyerCountry, language).toUpperCase()] : [];
	let lines: string[] = [];
	for (const size of [10, 9, 8, 7]) {
		const leading = 4.4 * MM * (size / 10);
		const top = ADDRESS_ZONE.top + 4.3 * MM * (size / 10);
		lines = [...parts.flatMap((part) => wrap(part, face, size, ADDRESS_ZONE.width)), ...country];
		if (top + (lines.length - 1) * leading <= ADDRESS_ZONE.bottom - 1 * MM) return { lines, size, leading, top };
	}
	throw new DocumentError(
		'INVALID_VALUE',
		`buyer.name: the buyer's address needs ${lines.length} lines even at 7 pt, more than the address window of the envelope holds (DIN 5008); shorten name, name2 or street`,
		undefined,
		{ element: 'buyer.name' },
	);
}

/** Every text the PDF prints from the invoice, by the element it comes from, and whether it is (also) set in bold. */
function printedTexts(invoice: Readonly<Invoice>): Array<[string, string | undefined, boolean]> {
	const party = (role: 'seller' | 'buyer', fields: readonly string[]) =>
		fields.map((field): [string, string | undefined, boolean] => [`${role}.${field}`, (invoice[role] as unknown as Record<string, string | undefined>)[field], role === 'seller' && field === 'name']);
	return [
		['number', invoice.number, true],
		['orderReference', invoice.orderReference, false],
		['paymentTerms', invoice.paymentTerms, false],
		['precedingInvoice.number', invoice.precedingInvoice?.number, false],
		...(invoice.notes ?? []).map((note, i): [string, string, boolean] => [`notes[${i + 1}]`, note, false]),
		...party('seller', ['name', 'name2', 'street', 'zip', 'city', 'vatId', 'taxNumber', 'email', 'phone', 'website', 'commercialRegister', 'managingDirectors']),
		...party('buyer', ['name', 'name2', 'street', 'zip', 'city', 'customerNumber', 'buyerReference', 'vatId']),
		...invoice.lines.flatMap((line, i): Array<[string, string | undefined, boolean]> => [
			[`lines[${i + 1}].description`, line.description, false],
			[`lines[${i + 1}].articleNumber`, line.articleNumber, false],
			[`lines[${i + 1}].unit`, line.unit, false],
			[`lines[${i + 1}].vatExemptionReason`, line.vatExemptionReason, false],
		]),
		...allowanceChargeTexts(invoice).map(([element, value]): [string, string | undefined, boolean] => [element, value, false]),
		['bankAccount.bankName', invoice.bankAccount?.bankName, false],
		['bankAccount.accountHolder', invoice.bankAccount?.accountHolder, false],
	];
}

/**
 * Checks that the PDF can print the checked invoice as it is: every character in its font (DejaVu Sans covers
 * Latin, Greek, Cyrillic and many symbols; not Chinese, Japanese, Korean or emoji), and the buyer's address
 * within the envelope window. Throws a DocumentError naming the field and the character — the mailer calls it
 * while planning, so that such an invoice goes to Failed before anything is sent instead of printing "?".
 */
export function checkPrintable(checked: CheckedInvoice): void {
	const faces = measuringFaces();
	for (const [element, value, bold] of printedTexts(checked.invoice)) {
		if (!present(value)) continue;
		const char = missingGlyph(value, faces.regular) ?? (bold ? missingGlyph(value, faces.bold) : undefined);
		if (char === undefined) continue;
		const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
		throw new DocumentError(
			'INVALID_VALUE',
			`${element}: the character "${char}" (U+${code}) cannot be printed on the invoice PDF, whose font (DejaVu Sans) has no glyph for it — e.g. Chinese, Japanese, Korean or emoji; write the value without it`,
			undefined,
			{ element },
		);
	}
	addressLayout(checked.invoice, faces.regular, checked.language);
}

function drawContinuationHead(ctx: Context, page: PageCanvas): number {
	const { invoice, fonts, labels, language } = ctx;
	const right = `${labels.title[invoice.type]} ${labels.numberPrefix} ${invoice.number.trim()} · ${formatDate(invoice.issueDate, language)}`;
	const rightWidth = textWidth(drawable(right, fonts.regular), fonts.regular, 8.5);
	const name = wrap(invoice.seller.name, fonts.bold, 10, CONTENT_WIDTH - rightWidth - 6 * MM)[0] ?? '';
	text(page, name, LEFT, 15 * MM, { face: fonts.bold, size: 10 });
	text(page, right, RIGHT, 15 * MM, { face: fonts.regular, size: 8.5, color: MUTED, align: 'right' });
	rule(page, LEFT, RIGHT, 17.5 * MM, 0.5);
	return CONTINUATION_TOP;
}

function drawTableHeader(ctx: Context, flow: Flow): void {
	const { fonts, labels, currency } = ctx;
	const page = flow.page;
	page.rectangle(LEFT, PAGE_HEIGHT - flow.y - HEADER_HEIGHT, CONTENT_WIDTH, HEADER_HEIGHT, HEADER_FILL);
	const symbol = currencySymbol(currency);
	const titles: Record<Column['key'], string> = {
		pos: labels.pos,
		description: labels.description,
		quantity: labels.quantity,
		unit: labels.unit,
		unitPrice: `${labels.unitPrice} ${symbol}`,
		vat: labels.vat,
		amount: `${labels.amount} ${symbol}`,
	};
	const baseline = flow.y + 4.4 * MM;
	for (const column of COLUMNS) {
		const x = columnX(column.key);
		const size = fittingSize(titles[column.key], fonts.bold, 8, x.width + CELL_PAD);
		text(page, titles[column.key], column.align === 'right' ? x.right : x.left, baseline, {
			face: fonts.bold,
			size,
			align: column.align,
		});
	}
	flow.y += HEADER_HEIGHT;
}

function drawCarryRow(ctx: Context, flow: Flow, amount: Big, above: boolean): void {
	const { fonts, labels, language } = ctx;
	const page = flow.page;
	if (above) rule(page, LEFT, RIGHT, flow.y, 0.6, MUTED);
	const baseline = flow.y + 4.2 * MM;
	const value = formatDecimal(amount.toFixed(2), language, 2);
	// a sum too wide for its column reaches left into the empty row, and its label moves with it
	const size = fittingSize(value, fonts.bold, TABLE_SIZE, columnX('amount').width);
	const width = text(page, value, columnX('amount').right, baseline, { face: fonts.bold, size, align: 'right' });
	const labelRight = Math.min(columnX('vat').right, columnX('amount').right - width - 2 * MM);
	text(page, labels.carried, labelRight, baseline, { face: fonts.bold, size: TABLE_SIZE, align: 'right' });
	if (!above) rule(page, LEFT, RIGHT, flow.y + CARRY_HEIGHT, 0.3, RULE);
	flow.y += CARRY_HEIGHT;
}

/** The smallest size a figure is set in before it is broken over two or more lines of its cell. */
const MIN_FIGURE_SIZE = 6;

interface FigureCell {
	key: Column['key'];
	lines: string[];
	size: number;
}

/**
 * The figures of a line (position, quantity, price, rate, amount), each fitted into its cell: set smaller when
 * slightly too wide, and broken over several lines of the cell (after a group separator where possible) when even
 * 6 pt is too wide — a 20-digit amount stays inside its column instead of printing over its neighbour.
 */
function figureCells(ctx: Context, index: number): FigureCell[] {
	const { invoice, totals, fonts, language } = ctx;
	const line = invoice.lines[index];
	const values: Array<[Column['key'], string]> = [
		['pos', String(index + 1)],
		['quantity', formatDecimal(line.quantity.trim(), language)],
		['unitPrice', formatPrice(line.netUnitPrice.trim(), language)],
		['vat', formatRate(line.vatRate.trim(), language)],
		['amount', formatDecimal(totals.lineNetAmounts[index], language, 2)],
	];
	return values.map(([key, value]) => {
		const width = columnX(key).width + (key === 'pos' ? CELL_PAD : 0);
		const size = Math.max(fittingSize(value, fonts.regular, TABLE_SIZE, width), MIN_FIGURE_SIZE);
		return { key, size, lines: breakFigure(value, fonts.regular, size, width) };
	});
}

/** A figure as lines no wider than `width`, broken after "." "," or a space where it can be, else anywhere. */
function breakFigure(value: string, face: Fonts['regular'], size: number, width: number): string[] {
	const lines: string[] = [];
	let rest = value;
	while (textWidth(rest, face, size) > width && rest.length > 1) {
		let cut = 1;
		while (cut < rest.length && textWidth(rest.slice(0, cut + 1), face, size) <= width) cut++;
		const separator = Math.max(rest.lastIndexOf('.', cut - 1), rest.lastIndexOf(',', cut - 1), rest.lastIndexOf(' ', cut - 1));
		if (separator > 0) cut = separator + 1;
		lines.push(rest.slice(0, cut).trim());
		rest = rest.slice(cut).trim();
	}
	lines.push(rest);
	return lines;
}

function drawFigureCells(ctx: Context, page: PageCanvas, cells: FigureCell[], baseline: number): void {
	for (const cell of cells) {
		const x = columnX(cell.key);
		const column = COLUMNS.find((c) => c.key === cell.key)!;
		cell.lines.forEach((value, i) => {
			text(page, value, column.align === 'right' ? x.right : x.left, baseline + i * TABLE_LEADING, {
				face: ctx.fonts.regular,
				size: cell.size,
				align: column.align,
			});
		});
	}
}

/**
 * The small print under a line's description: its article number, the quantity its price is for (BT-149) and
 * its own period (BG-26). Article numbers are short by nature; a runaway value must not make a row taller than
 * a page, so each detail takes at most two lines.
 */
function lineDetails(ctx: Context, index: number, unit: string, width: number): string[] {
	const { invoice, fonts, labels, language } = ctx;
	const line = invoice.lines[index];
	const details: string[] = [];
	if (present(line.articleNumber)) details.push(`${labels.articleNumber} ${line.articleNumber.trim()}`);
	if (present(line.priceBaseQuantity) && !new Big(line.priceBaseQuantity.trim()).eq(1)) {
		details.push(labels.priceFor(formatDecimal(line.priceBaseQuantity.trim(), language), unit));
	}
	if (line.period) {
		details.push(`${labels.servicePeriod} ${formatDate(line.period.from, language)} – ${formatDate(line.period.to, language)}`);
	}
	// BG-27, BG-28: what the line's amount already contains, so that quantity × price and the amount agree in print
	for (const ac of ctx.totals.allowancesCharges?.lines[index] ?? []) {
		const share = ac.percent ? `, ${labels.percentOf(formatRate(ac.percent, language), formatDecimal(ac.baseAmount!, language, 2))}` : '';
		const amount = `${ac.kind === 'allowance' ? '−' : '+'}${formatDecimal(ac.amount, language, 2)}`;
		details.push(`${labels.kindName[ac.kind]}: ${ac.reason ?? ac.reasonCode}${share}: ${amount}`);
	}
	return details.flatMap((detail) => wrap(detail, fonts.regular, 7.5, width).slice(0, 2));
}

function drawLineTable(ctx: Context, flow: Flow): void {
	const { invoice, totals, fonts, language } = ctx;
	drawTableHeader(ctx, flow);
	const description = columnX('description');
	const unitColumn = columnX('unit');
	let carried = new Big(0);
	// the most a fresh page holds for one row, so that only a row longer than that is split
	const freshRoom = flow.bottom - (CONTINUATION_TOP + HEADER_HEIGHT + CARRY_HEIGHT) - CARRY_HEIGHT;
	let rowsOnPage = 0;

	const breakPage = (): void => {
		drawCarryRow(ctx, flow, carried, true);
		flow.newPage();
		drawTableHeader(ctx, flow);
		drawCarryRow(ctx, flow, carried, false);
		rowsOnPage = 0;
	};

	invoice.lines.forEach((line, index) => {
		const isLast = index === invoice.lines.length - 1;
		let descriptionLines = wrap(line.description.trim(), fonts.regular, TABLE_SIZE, description.width);
		const code = unitCodeFor(line.unit) ?? line.unit.trim();
		// a label slightly too wide ("Pauschale") is set smaller rather than broken in two
		const label = unitLabel(code, language);
		const article = lineDetails(ctx, index, label, description.width);
		const unitSize = Math.max(fittingSize(label, fonts.regular, TABLE_SIZE, unitColumn.width), 7);
		const unitLines = wrap(label, fonts.regular, unitSize, unitColumn.width).slice(0, 3);
		const figures = figureCells(ctx, index);
		const figureLines = Math.max(unitLines.length, ...figures.map((cell) => cell.lines.length));
		let first = true;
		for (;;) {
			const textLines = Math.max(descriptionLines.length + article.length, first ? figureLines : 0, 1);
			const height = 2 * ROW_PAD + textLines * TABLE_LEADING;
			const reserve = isLast ? 0 : CARRY_HEIGHT;
			let take = descriptionLines.length;
			if (!flow.fits(height + reserve)) {
				if (height + reserve <= freshRoom && rowsOnPage > 0) {
					breakPage();
					continue;
				}
				// longer than a page, or than the room under the first page's head: fill this page and go on with
				// the rest of the description on the next, rather than leave a table without rows
				take = Math.floor((flow.bottom - reserve - flow.y - 2 * ROW_PAD) / TABLE_LEADING);
				if (take < 2) {
					breakPage();
					continue;
				}
				take = Math.min(take, descriptionLines.length);
			}
			const chunk = descriptionLines.slice(0, take);
			const rest = descriptionLines.slice(take);
			const done = rest.length === 0;
			const rowLines = Math.max(chunk.length + (done ? article.length : 0), first ? figureLines : 0, 1);
			const rowHeight = 2 * ROW_PAD + rowLines * TABLE_LEADING;
			const page = flow.page;
			const baseline = flow.y + ROW_PAD + TABLE_SIZE;
			chunk.forEach((value, i) => {
				text(page, value, description.left, baseline + i * TABLE_LEADING, { face: fonts.regular, size: TABLE_SIZE });
			});
			if (done) {
				article.forEach((value, i) => {
					text(page, value, description.left, baseline + (chunk.length + i) * TABLE_LEADING, {
						face: fonts.regular,
						size: 7.5,
						color: MUTED,
					});
				});
			}
			if (first) {
				drawFigureCells(ctx, page, figures, baseline);
				unitLines.forEach((value, i) => {
					text(page, value, unitColumn.left, baseline + i * TABLE_LEADING, { face: fonts.regular, size: unitSize });
				});
				// carried from here on: the line's amount is on this page even if its description goes on
				carried = carried.plus(totals.lineNetAmounts[index]);
			}
			flow.y += rowHeight;
			rule(page, LEFT, RIGHT, flow.y, 0.3, RULE);
			rowsOnPage++;
			first = false;
			if (done) break;
			descriptionLines = rest;
			breakPage();
		}
	});
}

function drawTotals(ctx: Context, flow: Flow): void {
	const { invoice, totals, fonts, labels, language, currency } = ctx;
	const money = (value: string): string => formatMoney(value, currency, language);
	const rows: TotalsRow[] = [];
	const documentLevel = totals.allowancesCharges?.document ?? [];
	if (documentLevel.length > 0) {
		// BG-20, BG-21: the lines, each document level allowance and charge, then the taxable amount
		rows.push({ label: labels.linesTotal, value: money(totals.allowancesCharges!.lineTotal) });
		for (const ac of documentLevel) {
			const share = ac.percent ? `${labels.percentOf(formatRate(ac.percent, language), money(ac.baseAmount!))}, ` : '';
			const vat = ac.category === 'S' || ac.category === 'Z' ? `${formatRate(ac.rate!, language)} ${labels.vat}` : labels.vatKind[ac.category!];
			const label = `${labels.sign[ac.kind]} ${ac.reason ?? labels.kindName[ac.kind]} (${share}${vat})`;
			rows.push({ label, value: money(ac.kind === 'allowance' ? new Big(ac.amount).times(-1).toFixed(2) : ac.amount) });
		}
		rows.push({ label: labels.netTotal, value: money(totals.netTotal), ruleAbove: true });
	} else {
		rows.push({ label: labels.netTotal, value: money(totals.netTotal) });
	}
	for (const entry of totals.vatBreakdown) {
		rows.push({
			label: labels.vatLine(formatRate(entry.rate, language), money(entry.netAmount), labels.vatKind[entry.category]),
			value: money(entry.vatAmount),
		});
	}
	const prepaid = new Big(totals.prepaidAmount);
	rows.push({ label: labels.grossTotal[invoice.type], value: money(totals.grossTotal), strong: prepaid.eq(0), ruleAbove: true });
	if (!prepaid.eq(0)) {
		rows.push({ label: labels.prepaid, value: money(prepaid.times(-1).toFixed(2)) });
		rows.push({ label: labels.amountDue[invoice.type], value: money(totals.amountDue), strong: true, ruleAbove: true });
	}
	const leading = 5 * MM;
	const labelLeft = LEFT + 70 * MM;
	const laid = rows.map((row) => layoutTotalsRow(ctx, row, RIGHT - labelLeft));
	const height = 4 * MM + laid.reduce((sum, row) => sum + row.lines * leading + (row.ruleAbove ? 1.2 * MM : 0), 0) + 2 * MM;
	if (!flow.fits(height)) flow.newPage();
	const page = flow.page;
	let top = flow.y + 4 * MM;
	for (const row of laid) {
		if (row.ruleAbove) {
			rule(page, labelLeft, RIGHT, top + 0.3 * MM, row.strong ? 0.8 : 0.4, row.strong ? INK : RULE);
			top += 1.2 * MM;
		}
		const face = row.strong ? fonts.bold : fonts.regular;
		row.labelLines.forEach((line, i) => text(page, line, labelLeft, top + (i + 1) * leading - 1.3 * MM, { face, size: row.labelSize }));
		row.valueLines.forEach((line, i) => text(page, line, RIGHT, top + (i + 1) * leading - 1.3 * MM, { face, size: row.valueSize, align: 'right' }));
		top += row.lines * leading;
	}
	if (rows.some((r) => r.strong)) rule(page, labelLeft, RIGHT, top + 0.9 * MM, 0.8, INK);
	flow.y = top + 4 * MM;
}

interface TotalsRow {
	label: string;
	value: string;
	strong?: boolean;
	ruleAbove?: boolean;
}

/**
 * A row of the totals fitted into the block's width: the amount takes at most 60 % (set smaller, then broken
 * over lines when it has very many digits), the label the rest (set smaller, then wrapped) — never over each other.
 */
function layoutTotalsRow(ctx: Context, row: TotalsRow, width: number) {
	const face = row.strong ? ctx.fonts.bold : ctx.fonts.regular;
	const size = row.strong ? 10 : 9;
	const valueSize = Math.max(fittingSize(row.value, face, size, width * 0.6), MIN_FIGURE_SIZE);
	const valueLines = breakFigure(row.value, face, valueSize, width * 0.6);
	const valueWidth = Math.max(...valueLines.map((line) => textWidth(drawable(line, face), face, valueSize)));
	const room = width - valueWidth - 4 * MM;
	const labelSize = Math.max(fittingSize(row.label, face, size, room), 7);
	const labelLines = wrap(row.label, face, labelSize, room);
	return { ...row, valueSize, valueLines, labelSize, labelLines, lines: Math.max(valueLines.length, labelLines.length) };
}

/** Paragraphs below the totals: kept on one page when they fit one, else split between lines. */
function drawParagraphs(ctx: Context, flow: Flow, paragraphs: Array<{ text: string; strongPrefix?: string }>): void {
	const { fonts } = ctx;
	const size = 9;
	const leading = 4.4 * MM;
	for (const paragraph of paragraphs) {
		const lines = wrap(
			paragraph.strongPrefix ? `${paragraph.strongPrefix} ${paragraph.text}` : paragraph.text,
			fonts.regular,
			size,
			CONTENT_WIDTH,
		);
		const height = lines.length * leading + 1.5 * MM;
		if (!flow.fits(height) && height <= flow.bottom - CONTINUATION_TOP) flow.newPage();
		lines.forEach((line, i) => {
			if (!flow.fits(leading)) flow.newPage();
			const top = flow.y + size;
			if (i === 0 && paragraph.strongPrefix && line.startsWith(paragraph.strongPrefix)) {
				const width = text(flow.page, paragraph.strongPrefix, LEFT, top, { face: fonts.bold, size });
				text(flow.page, line.slice(paragraph.strongPrefix.length), LEFT + width, top, { face: fonts.regular, size });
			} else {
				text(flow.page, line, LEFT, top, { face: fonts.regular, size });
			}
			flow.y += leading;
		});
		flow.y += 1.5 * MM;
	}
}

function closingParagraphs(ctx: Context): Array<{ text: string; strongPrefix?: string }> {
	const { invoice, totals, labels, language, currency } = ctx;
	const out: Array<{ text: string; strongPrefix?: string }> = [];
	// §14 Abs. 4 Nr. 8 / §14a UStG: the reason why a line carries no VAT, once per reason
	const reasons = [...new Set(totals.vatBreakdown.map((e) => e.exemptionReason).filter(present))];
	for (const reason of reasons) out.push({ strongPrefix: `${labels.note}:`, text: reason });
	for (const note of invoice.notes ?? []) if (present(note)) out.push({ text: note.trim() });
	if (present(invoice.paymentTerms)) {
		out.push({ text: invoice.paymentTerms.trim() });
	} else if (present(invoice.dueDate)) {
		const amount = formatMoney(totals.amountDue, currency, language);
		const date = formatDate(invoice.dueDate, language);
		out.push({ text: invoice.type === 'creditNote' ? labels.refundBy(amount, date) : labels.payBy(amount, date) });
	}
	const bank = invoice.bankAccount;
	if (bank && present(bank.iban)) {
		const parts = [
			present(bank.bankName) ? bank.bankName.trim() : '',
			`IBAN ${formatIban(bank.iban)}`,
			present(bank.bic) ? `BIC ${bank.bic.trim().toUpperCase()}` : '',
			present(bank.accountHolder) ? `${labels.accountHolder}: ${bank.accountHolder.trim()}` : '',
		].filter(present);
		out.push({ strongPrefix: `${labels.bank}:`, text: parts.join(' · ') });
	}
	return out;
}

// ----------------------------------------------------------------------------------------------- footer

function layoutFooter(invoice: Invoice, fonts: Fonts, labels: Labels, language: InvoiceLanguage): FooterLayout {
	const seller = invoice.seller;
	const bank = invoice.bankAccount;
	const country = (seller.country ?? 'DE').trim() || 'DE';
	const columns = [
		[seller.name, seller.name2, seller.street, `${seller.zip} ${seller.city}`, country !== 'DE' ? countryName(country, language) : ''],
		[
			present(seller.phone) ? `${labels.phone} ${seller.phone.trim()}` : '',
			// an address with an @ needs no label, and the footer's width is scarce
			seller.email,
			seller.website,
		],
		[
			present(seller.vatId) ? `${labels.vatId} ${seller.vatId.trim()}` : '',
			present(seller.taxNumber) ? `${labels.taxNumber} ${seller.taxNumber.trim()}` : '',
			seller.commercialRegister,
			present(seller.managingDirectors) ? `${labels.managingDirectors}: ${seller.managingDirectors.trim()}` : '',
		],
		bank && present(bank.iban)
			? [bank.bankName, `IBAN ${formatIban(bank.iban)}`, present(bank.bic) ? `BIC ${bank.bic.trim().toUpperCase()}` : '']
			: [],
	]
		.map((column) => column.filter(present).map((line) => line.trim()))
		.filter((column) => column.length > 0);

	// the largest size (7 pt down to 6 pt) at which the columns fit side by side; narrower than that, they wrap
	const gap = 5 * MM;
	const natural = (size: number): number[] =>
		columns.map((column) => Math.max(...column.map((line) => textWidth(drawable(line, fonts.regular), fonts.regular, size))));
	let size = 7;
	while (size > 6 && natural(size).reduce((a, b) => a + b, 0) + gap * (columns.length - 1) > CONTENT_WIDTH) size -= 0.25;
	const widths = natural(size);
	const available = CONTENT_WIDTH - gap * (columns.length - 1);
	if (widths.reduce((a, b) => a + b, 0) > available) {
		// columns narrower than a fair share keep their width; the wide ones share the rest and wrap
		const keep = new Set<number>();
		let share = available / columns.length;
		for (let changed = true; changed; ) {
			changed = false;
			widths.forEach((width, i) => {
				if (!keep.has(i) && width <= share) {
					keep.add(i);
					changed = true;
				}
			});
			const kept = [...keep].reduce((sum, i) => sum + widths[i], 0);
			share = (available - kept) / Math.max(columns.length - keep.size, 1);
		}
		columns.forEach((column, i) => {
			if (!keep.has(i)) columns[i] = column.flatMap((line) => wrap(line, fonts.regular, size, share));
		});
	}
	const leading = size * 1.35;
	const lines = Math.max(...columns.map((c) => c.length), 1);
	return { columns, size, leading, top: PAGE_HEIGHT - 9 * MM - lines * leading - 2.5 * MM };
}

function drawFooter(ctx: Context, page: PageCanvas, pageNumber: number, pageCount: number): void {
	const { fonts, labels, footer } = ctx;
	text(page, labels.page(pageNumber, pageCount), RIGHT, footer.top - 2.5 * MM, { face: fonts.regular, size: 8, color: MUTED, align: 'right' });
	rule(page, LEFT, RIGHT, footer.top, 0.5, RULE);
	const natural = footer.columns.map((column) =>
		Math.max(...column.map((line) => textWidth(drawable(line, fonts.regular), fonts.regular, footer.size))),
	);
	const total = natural.reduce((a, b) => a + b, 0);
	const gap = footer.columns.length > 1 ? Math.max((CONTENT_WIDTH - total) / (footer.columns.length - 1), 0) : 0;
	let x = LEFT;
	footer.columns.forEach((column, i) => {
		column.forEach((line, j) => {
			text(page, line, x, footer.top + 2.5 * MM + footer.size + j * footer.leading, {
				face: fonts.regular,
				size: footer.size,
				color: MUTED,
			});
		});
		x += natural[i] + gap;
	});
}

// ----------------------------------------------------------------------------------------------- the document

async function embedLogo(doc: PDFDocument, logo: Uint8Array): Promise<PDFImage> {
	const isPng = logo[0] === 0x89 && logo[1] === 0x50 && logo[2] === 0x4e && logo[3] === 0x47;
	const isJpeg = logo[0] === 0xff && logo[1] === 0xd8;
	// pdf-lib reads a JPEG through `new DataView(bytes.buffer)`, ignoring the view's offset: a small Buffer is a
	// view into Node's shared pool (n8n's binary data of a logo under 4 kB is one), so it gets bytes of its own
	const own = logo.byteOffset === 0 && logo.byteLength === logo.buffer.byteLength ? logo : new Uint8Array(logo);
	const embedding = isPng ? doc.embedPng(own) : isJpeg ? doc.embedJpg(own) : undefined;
	if (!embedding) throw new DocumentError('INVALID_VALUE', 'the logo must be a PNG or JPEG image', undefined, { element: 'logo' });
	// pdf-lib's own errors for a broken image say nothing about where the image came from
	return embedding.catch((error: Error) => {
		throw new DocumentError('INVALID_VALUE', `the logo cannot be read: ${error.message}`, undefined, { element: 'logo' });
	});
}

function fingerprint(invoice: Invoice, options: InvoicePdfOptions): string {
	const hash = createHash('sha256');
	hash.update(canonical(invoice));
	hash.update(`|${options.language ?? 'de'}|`);
	if (options.logo) hash.update(options.logo);
	return hash.digest('hex');
}

/** The metadata `renderInvoicePdf` writes for this invoice, for the Factur-X step's XMP packet. */
export function invoicePdfMetadata(invoice: Invoice, options: InvoicePdfOptions = {}): InvoicePdfMetadata {
	const language = options.language ?? 'de';
	const [year, month, day] = invoice.issueDate.trim().split('-').map(Number);
	return {
		title: `${LABELS[language].title[invoice.type]} ${invoice.number.trim()}`,
		author: invoice.seller.name.trim(),
		creator: CREATOR,
		producer: PRODUCER,
		creationDate: new Date(Date.UTC(year, month - 1, day)),
		language: language === 'de' ? 'de-DE' : 'en',
		documentId: fingerprint(invoice, options).slice(0, 32),
	};
}

/**
 * The checked invoice to render: a CheckedInvoice as it is (in its own language unless `options.language` asks
 * for another), an unchecked Invoice checked here (throwing a DocumentError when it lacks what §14 UStG requires).
 */
function checkedFor(input: Invoice | CheckedInvoice, options: InvoicePdfOptions): CheckedInvoice {
	if (isCheckedInvoice(input) && (options.language ?? input.language) === input.language) return input;
	return checkInvoice(isCheckedInvoice(input) ? input.invoice : input, options.language ?? 'de');
}

/**
 * Builds the invoice PDF as a pdf-lib document, not yet saved, for callers that add to it (the Factur-X step:
 * XML attachment, XMP, OutputIntent), to save themselves as `renderInvoicePdf` does (`useObjectStreams: false`).
 * Takes the checked invoice (`checkInvoice`); an unchecked one is checked first.
 */
export async function createInvoicePdfDocument(input: Invoice | CheckedInvoice, options: InvoicePdfOptions = {}): Promise<PDFDocument> {
	const { invoice, totals, language } = checkedFor(input, options);
	options = { ...options, language };
	const labels = LABELS[language];
	const meta = invoicePdfMetadata(invoice, options);
	const tag = meta.documentId
		.slice(0, 12)
		.split('')
		.map((hex) => String.fromCharCode(65 + parseInt(hex, 16)))
		.join('');

	const doc = await PDFDocument.create({ updateMetadata: false });
	// everything the document may print comes from the invoice, the labels and the currency
	const fonts = await embedFonts(doc, tag, JSON.stringify([invoice, labels, currencySymbol(invoice.currency ?? '')]));
	const ctx: Context = {
		doc,
		invoice,
		totals,
		fonts,
		labels,
		language,
		currency: present(invoice.currency) ? invoice.currency.trim() : 'EUR',
		logo: options.logo ? await embedLogo(doc, options.logo) : undefined,
		footer: layoutFooter(invoice, fonts, labels, language),
	};

	const flow = new Flow(ctx);
	flow.newPage();
	drawLineTable(ctx, flow);
	drawTotals(ctx, flow);
	flow.y += 2 * MM;
	drawParagraphs(ctx, flow, closingParagraphs(ctx));
	flow.pages.forEach((page, i) => drawFooter(ctx, page, i + 1, flow.pages.length));
	for (const page of flow.pages) page.finish();

	doc.setTitle(meta.title, { showInWindowTitleBar: true });
	doc.setAuthor(meta.author);
	doc.setCreator(meta.creator);
	doc.setProducer(meta.producer);
	doc.setCreationDate(meta.creationDate);
	doc.setModificationDate(meta.creationDate);
	doc.setLanguage(meta.language);
	// PDF/A wants a document ID; a fixed one (from the input) keeps the bytes reproducible
	const id = PDFHexString.of(meta.documentId);
	doc.context.trailerInfo.ID = doc.context.obj([id, id]);
	return doc;
}

/**
 * Renders the invoice (or credit note) as PDF bytes: the same input gives the same bytes.
 * Throws a DocumentError naming the field when the invoice lacks what §14 UStG requires.
 */
export async function renderInvoicePdf(invoice: Invoice | CheckedInvoice, options: InvoicePdfOptions = {}): Promise<Uint8Array> {
	const doc = await createInvoicePdfDocument(invoice, options);
	return doc.save({ useObjectStreams: false });
}
