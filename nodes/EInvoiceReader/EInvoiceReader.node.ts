import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { eInvoiceReaderProperties } from './description';
import { readInvoices } from './readInvoices';

/**
 * E-Invoice Reader (E-Rechnung lesen): reads the e-invoices suppliers send — ZUGFeRD / Factur-X PDFs, XRechnung
 * and other EN 16931 invoices in CII or UBL — from binary data of any source (n8n's e-mail and file nodes,
 * forms, this package's nodes), checks them against the EN 16931 rules, and puts out one item per invoice.
 */
export class EInvoiceReader implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'E-Invoice Reader',
		name: 'eInvoiceReader',
		icon: { light: 'file:eInvoiceReader.svg', dark: 'file:eInvoiceReader.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{"from " + $parameter["binaryPropertyName"]}}',
		description: 'Read and check supplier e-invoices: ZUGFeRD / Factur-X PDFs and XRechnung (CII or UBL)',
		defaults: { name: 'E-Invoice Reader' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [
			{ type: NodeConnectionTypes.Main, displayName: 'Valid' },
			{ type: NodeConnectionTypes.Main, displayName: 'Problems' },
		],
		usableAsTool: true,
		properties: eInvoiceReaderProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await readInvoices.call(this);
	}
}
