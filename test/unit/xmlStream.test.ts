import { parseXml, type XmlElement } from '../../nodes/shared/documents/xml';

/** Streaming of repeated elements (the entries of a bank statement): handed over complete, in order, and let go. */

describe('parseXml with a stream', () => {
	const xml = `<Doc><Stmt><Id>1</Id><Ntry><Amt>1.00</Amt></Ntry><Ntry><Amt>2.00</Amt></Ntry><Ntry><Amt>3.00</Amt></Ntry><End/></Stmt>
<Stmt><Id>2</Id><Ntry><Amt>4.00</Amt></Ntry></Stmt><Other><Ntry><Amt>9</Amt></Ntry></Other></Doc>`;

	it('hands over each accepted element complete, in document order, with its path as far as the document is read', () => {
		const seen: Array<[string, string | undefined, number]> = [];
		const root = parseXml(xml, 'stream.xml', {
			stream: {
				name: 'Ntry',
				accept: (e: XmlElement) => e.parent?.name === 'Stmt',
				handle: (e: XmlElement) => seen.push([e.path, e.textAt('Amt'), e.parent!.children.length]),
			},
		});
		expect(seen.map(([path, amount]) => [path, amount])).toEqual([
			// the second Stmt is not read yet when the first one's entries are handed over (the line number is exact)
			['Doc/Stmt/Ntry[1]', '1.00'],
			['Doc/Stmt/Ntry[2]', '2.00'],
			['Doc/Stmt/Ntry[3]', '3.00'],
			['Doc/Stmt[2]/Ntry', '4.00'],
		]);
		// the streamed entries are no longer in the tree; what is not accepted stays
		expect(root.findAll('Stmt/Ntry')).toEqual([]);
		expect(root.all('Stmt').map((s) => s.children.map((c) => c.name))).toEqual([['Id', 'End'], ['Id']]);
		expect(root.find('Other/Ntry/Amt')?.text).toBe('9');
	});

	it('still refuses a document that breaks off after the streamed elements', () => {
		const handled: string[] = [];
		expect(() =>
			parseXml('<Doc><Stmt><Ntry><Amt>1</Amt></Ntry><Ntry><Amt>2</Amt></Ntry>', 'cut.xml', {
				stream: { name: 'Ntry', accept: () => true, handle: (e) => handled.push(e.path) },
			}),
		).toThrow(/cut\.xml/);
	});
});
