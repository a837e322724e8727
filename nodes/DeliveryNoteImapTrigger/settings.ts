import { createHash } from 'node:crypto';

import type { IPollFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { CsvColumn, CsvMapping, DeliveryNoteFormat } from '../shared/documents/deliveryNotes';
import type { ImapCredentials } from '../shared/transports/imap';
import type { ImapSourceFolders } from '../shared/transports/imapSource';
import { readMailTriggerOptions } from '../shared/mailTrigger';
import { firstPlaceholder } from '../shared/placeholders';
import { parseSenders, type Supplier } from './supplierMail';

/** The trigger's parameters, read and checked once per poll. */
export interface TriggerSettings {
	suppliers: Supplier[];
	/** unknown senders stay in the inbox instead of going to the error folder */
	leaveUnknown: boolean;
	maxAttachmentBytes: number;
	maxMailsPerPoll: number;
	createMissingFolders: boolean;
}

export function readTriggerSettings(ctx: IPollFunctions): TriggerSettings {
	const options = readMailTriggerOptions(ctx);
	return {
		suppliers: readSuppliers(ctx),
		leaveUnknown: (ctx.getNodeParameter('unknownSender', 'error') as string) === 'leave',
		maxAttachmentBytes: options.maxAttachmentBytes,
		maxMailsPerPoll: options.maxMailsPerPoll,
		createMissingFolders: options.createMissingFolders,
	};
}

/** Mails left in the inbox on purpose are looked at again only when this changes (a supplier added …). */
export function configurationOf(credentials: ImapCredentials, folders: ImapSourceFolders, settings: TriggerSettings): string {
	return createHash('sha256')
		.update(JSON.stringify([credentials.host, credentials.user, folders.inbox, settings.suppliers, settings.leaveUnknown]))
		.digest('hex');
}

interface SupplierParameter {
	name?: string;
	sender?: string;
	format?: DeliveryNoteFormat;
	csvDelimiter?: string;
	csvDecimalSeparator?: '.' | ',';
	csvEncoding?: CsvMapping['encoding'];
	csvHeaderRow?: boolean;
	csvDeliveryNoteNumber?: string;
	csvDate?: string;
	csvLineNumber?: string;
	csvOrderNumber?: string;
	csvArticleNumber?: string;
	csvGtin?: string;
	csvDescription?: string;
	csvQuantity?: string;
	csvUnit?: string;
}

const SENDER = /^(\*|[^\s@,;<>"]+)@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function readSuppliers(ctx: IPollFunctions): Supplier[] {
	const entries = ctx.getNodeParameter('suppliers.supplier', []) as SupplierParameter[];
	if (!entries.length) {
		throw new NodeOperationError(ctx.getNode(), 'Add at least one supplier', {
			description: 'Without suppliers every mail would count as coming from an unknown sender.',
		});
	}
	const unset = entries.map((entry) => firstPlaceholder({ Name: entry.name, Sender: entry.sender })).find(Boolean);
	if (unset) {
		throw new NodeOperationError(ctx.getNode(), `Set your suppliers: the Suppliers table still holds the template's "${unset[1]}" (${unset[0]})`, {
			description:
				'Enter each supplier’s name and the address its delivery notes come from (or *@its-domain). Until then the trigger reads no mail, so that no mail is moved to the error folder as from an unknown sender.',
		});
	}
	return entries.map((entry, index) => {
		const name = entry.name?.trim() || `Supplier ${index + 1}`;
		const senders = parseSenders(entry.sender ?? '');
		const bad = senders.find((s) => !SENDER.test(s));
		if (!senders.length || bad) {
			throw new NodeOperationError(ctx.getNode(), `Supplier "${name}": "${bad ?? ''}" is not a sender address`, {
				description: 'Enter an address like lieferschein@lieferant.de, or *@lieferant.de for every address of the domain.',
			});
		}
		const supplier: Supplier = { name, senders, format: entry.format ?? 'opentrans' };
		if (supplier.format === 'csv') supplier.csvMapping = csvMapping(ctx, name, entry);
		return supplier;
	});
}

function csvMapping(ctx: IPollFunctions, supplier: string, entry: SupplierParameter): CsvMapping {
	const column = (value: string | undefined): CsvColumn | undefined => {
		const text = value?.trim();
		if (!text) return undefined;
		return /^\d+$/.test(text) ? Number(text) : text;
	};
	const deliveryNoteNumber = column(entry.csvDeliveryNoteNumber);
	const quantity = column(entry.csvQuantity);
	if (deliveryNoteNumber === undefined || quantity === undefined) {
		throw new NodeOperationError(
			ctx.getNode(),
			`Supplier "${supplier}": the CSV mapping needs at least the delivery note number and the quantity column`,
		);
	}
	const columns: CsvMapping['columns'] = { deliveryNoteNumber, quantity };
	const optional = {
		date: entry.csvDate,
		lineNumber: entry.csvLineNumber,
		orderNumber: entry.csvOrderNumber,
		articleNumber: entry.csvArticleNumber,
		gtin: entry.csvGtin,
		description: entry.csvDescription,
		unit: entry.csvUnit,
	};
	for (const [field, value] of Object.entries(optional) as Array<[keyof typeof optional, string | undefined]>) {
		const c = column(value);
		if (c !== undefined) columns[field] = c;
	}
	return {
		delimiter: entry.csvDelimiter ?? ';',
		decimalSeparator: entry.csvDecimalSeparator ?? ',',
		encoding: entry.csvEncoding ?? 'utf-8',
		headerRow: entry.csvHeaderRow ?? true,
		columns,
	};
}
