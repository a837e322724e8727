/**
 * The E-Invoice Reader in a workflow run by n8n's own engine (WorkflowExecute): binary items in, one item per
 * invoice out — valid ones on the first output, those that break a rule on the second — with pairedItem and the
 * file passed through. Needs no server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { PDFDocument } from 'pdf-lib';
import type { IBinaryData, INode, INodeExecutionData } from 'n8n-workflow';

import { RunnerWorkflow } from '../helpers/workflowRunner';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const MUSTANG_PDF = path.join(FIXTURES, 'facturx', 'reference-pdf', 'validV2PDF.pdf');
const UBL_CREDIT_NOTE = path.join(FIXTURES, 'incoming-einvoices', 'ubl', 'ubl-creditnote-xrechnung.xml');
const OFFICIAL_CII = path.join(FIXTURES, 'en16931', 'examples', 'CII_example1.xml');

function reader(parameters: INode['parameters'], extra: Partial<INode> = {}): RunnerWorkflow {
	const node: INode = {
		id: 'reader',
		name: 'Reader',
		type: 'n8n-nodes-backoffice.eInvoiceReader',
		typeVersion: 1,
		position: [0, 0],
		parameters,
		...extra,
	};
	return new RunnerWorkflow({ nodes: [node], connections: {} });
}

function binary(bytes: Buffer, fileName: string, mimeType: string): IBinaryData {
	return { data: bytes.toString('base64'), mimeType, fileName };
}

const item = (fields: Record<string, IBinaryData>): INodeExecutionData => ({ json: {}, binary: fields });

/** The official CII example with one line claiming 1.00 more than it adds up to. */
function brokenCii(): Buffer {
	const xml = readFileSync(OFFICIAL_CII, 'utf8').replace('<ram:LineTotalAmount>-109.98</ram:LineTotalAmount>', '<ram:LineTotalAmount>-108.98</ram:LineTotalAmount>');
	return Buffer.from(xml);
}

async function plainPdf(): Promise<Buffer> {
	const doc = await PDFDocument.create();
	doc.addPage();
	return Buffer.from(await doc.save());
}

describe('E-Invoice Reader in a workflow', () => {
	it('sorts invoices into Valid and Problems, one item per invoice, paired with its input item', async () => {
		const input = [
			item({ data: binary(readFileSync(MUSTANG_PDF), 'RE-20171118-506.pdf', 'application/pdf') }),
			item({ data: binary(brokenCii(), 'rechnung.xml', 'application/xml') }),
			item({
				attachment_0: binary(Buffer.from('\x89PNG\r\n\x1a\n'), 'logo.png', 'image/png'),
				attachment_1: binary(readFileSync(UBL_CREDIT_NOTE), 'gutschrift.xml', 'text/xml'),
			}),
		];
		const result = await reader({ binaryPropertyName: '*' }).run('Reader', { input: [input] });
		expect(result.error).toBeUndefined();
		const valid = result.output('Reader', 0);
		const problems = result.output('Reader', 1);

		expect(valid.map((i) => [i.json.number, i.pairedItem])).toEqual([
			['RE-20171118/506', { item: 0 }],
			['GS-2025-0042', { item: 2 }],
		]);
		expect(valid[0].json).toMatchObject({
			syntax: 'CII',
			profile: 'EN 16931',
			check: { valid: true, germanInvoice: true, errors: [], summary: 'valid' },
			file: { fileName: 'RE-20171118-506.pdf', binaryProperty: 'data', container: 'pdf', embeddedFileName: 'factur-x.xml' },
		});
		expect(valid[0].binary?.data?.fileName).toBe('RE-20171118-506.pdf');
		expect(valid[1].json).toMatchObject({ type: 'creditNote', orderReference: 'PO-4711', despatchAdviceReference: 'LS-7781' });
		expect(Object.keys(valid[1].binary ?? {})).toEqual(['attachment_1']);

		expect(problems).toHaveLength(1);
		expect(problems[0].pairedItem).toEqual({ item: 1 });
		expect(problems[0].json.check).toMatchObject({
			valid: false,
			errors: [
				expect.objectContaining({ rule: 'BR-S-08', term: 'BT-116', line: 622 }),
				expect.objectContaining({ rule: 'BR-CO-10', term: 'BT-106', line: 637 }),
			],
		});
		expect(String((problems[0].json.check as { summary: string }).summary)).toMatch(/^BR-S-08: the taxable amount 183.23 .*; BR-CO-10: BT-106 is 229.6, but the sum of the line net amounts \(BT-131\) = 230.60/);
	});

	it('stops with an error naming the file when a PDF carries no e-invoice', async () => {
		const input = [item({ data: binary(await plainPdf(), 'scan.pdf', 'application/pdf') })];
		const result = await reader({ binaryPropertyName: 'data' }).run('Reader', { input: [input] });
		expect(result.error?.message).toMatch(/^scan\.pdf: the PDF carries no e-invoice/);
	});

	it('with Continue On Fail, an unusable file becomes an error item on the Problems output', async () => {
		const input = [
			item({ data: binary(await plainPdf(), 'scan.pdf', 'application/pdf') }),
			item({ data: binary(readFileSync(MUSTANG_PDF), 'ok.pdf', 'application/pdf') }),
			{ json: {} },
		];
		const result = await reader({ binaryPropertyName: 'data' }, { continueOnFail: true }).run('Reader', { input: [input] });
		expect(result.error).toBeUndefined();
		expect(result.output('Reader', 0).map((i) => i.pairedItem)).toEqual([{ item: 1 }]);
		const problems = result.output('Reader', 1);
		expect(problems.map((i) => [i.pairedItem, i.json.code])).toEqual([
			[{ item: 0 }, 'UNSUPPORTED_FORMAT'],
			[{ item: 2 }, undefined],
		]);
		expect(problems[0].json).toMatchObject({ fileName: 'scan.pdf', error: expect.stringMatching(/carries no e-invoice/) });
		expect(problems[1].json.error).toMatch(/data/);
	});
});
