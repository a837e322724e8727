import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { DocumentError } from '../shared/documents/DocumentError';
import { isPdf, looksLikeXml, readEInvoice } from '../shared/documents/incomingInvoices';
import { eInvoiceItemJson } from '../shared/eInvoiceItems';
import { userFacing } from '../shared/nodeErrors';

/**
 * Reads the e-invoices in the binary fields of each item: one output item per invoice, with the invoice as
 * JSON, the result of the run-time check, and the file it came from as binary. An invoice that breaks an
 * EN 16931 rule (or is no invoice under German law) goes to the Problems output; a file that is no e-invoice at
 * all stops the node with an error naming the file, or — with "Continue On Fail" — becomes an item on the
 * Problems output with the error.
 */

interface Settings {
	ignoreOtherFiles: boolean;
	maxFileBytes: number;
	maxXmlBytes: number;
	warningsAreProblems: boolean;
}

const MB = 1024 * 1024;

function settingsOf(ctx: IExecuteFunctions, itemIndex: number): Settings {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		ignoreOtherFiles: options.ignoreOtherFiles !== false,
		maxFileBytes: Number(options.maxFileSizeMb ?? 50) * MB,
		maxXmlBytes: Number(options.maxXmlSizeMb ?? 20) * MB,
		warningsAreProblems: options.warningsAreProblems === true,
	};
}

function binaryNames(ctx: IExecuteFunctions, item: INodeExecutionData, itemIndex: number): string[] {
	const typed = String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
	if (typed === '*') return Object.keys(item.binary ?? {});
	return typed
		.split(',')
		.map((n) => n.trim())
		.filter(Boolean);
}

export async function readInvoices(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const valid: INodeExecutionData[] = [];
	const problems: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const settings = settingsOf(this, i);
		const names = binaryNames(this, items[i], i);
		try {
			if (names.length === 0) throw new NodeOperationError(this.getNode(), 'The item has no binary field to read an e-invoice from', { itemIndex: i });
			let read = 0;
			for (const name of names) {
				const outcome = await readOne(this, i, name, settings);
				if (!outcome) continue;
				read++;
				(outcome.problem ? problems : valid).push({ json: outcome.json, binary: { [name]: items[i].binary![name] }, pairedItem: { item: i } });
			}
			if (read === 0) throw new NodeOperationError(this.getNode(), `No PDF or XML file in the binary field(s) ${names.join(', ')}`, { itemIndex: i });
		} catch (error) {
			if (!this.continueOnFail()) throw userFacing(this, error, i);
			const json: IDataObject = { error: (error as Error).message };
			if (error instanceof DocumentError) Object.assign(json, { code: error.code, fileName: error.file, position: error.position as IDataObject });
			problems.push({ json, pairedItem: { item: i } });
		}
	}
	return [valid, problems];
}

/** Reads one binary field; undefined when it is neither PDF nor XML and such files are ignored. */
async function readOne(
	ctx: IExecuteFunctions,
	itemIndex: number,
	name: string,
	settings: Settings,
): Promise<{ json: IDataObject; problem: boolean } | undefined> {
	const binary = ctx.helpers.assertBinaryData(itemIndex, name);
	const fileName = binary.fileName ?? name;
	const bytes = await ctx.helpers.getBinaryDataBuffer(itemIndex, name);
	if (bytes.length > settings.maxFileBytes) {
		throw new DocumentError('TOO_LARGE', `the file has ${bytes.length} bytes, more than the limit of ${settings.maxFileBytes / MB} MB (Max File Size)`, fileName);
	}
	if (settings.ignoreOtherFiles && !isPdf(bytes) && !looksLikeXml(bytes)) return undefined;
	const read = await readEInvoice(bytes, { fileName, maxXmlBytes: settings.maxXmlBytes });
	return eInvoiceItemJson(read, { fileName, mimeType: binary.mimeType, binaryProperty: name }, settings.warningsAreProblems);
}
