import { SaxesParser } from 'saxes';

import { DocumentError } from '../../nodes/shared/documents/DocumentError';
import { MAX_DOCUMENT_BYTES } from '../../nodes/shared/documents/limits';
import { decodeXml, decodeText } from '../../nodes/shared/documents/text';
import { MAX_XML_DEPTH, parseXml, parseXmlDocument } from '../../nodes/shared/documents/xml';
import { expectDocumentError } from './deliveryNotes/helpers';

describe('parseXml', () => {
	it('reads elements by local name and namespace, whatever prefix binds it', () => {
		const root = parseXml(
			'<a xmlns="urn:x" xmlns:b="urn:bme"><b:PID>1</b:PID><c xmlns="urn:bme">2</c><d>3</d></a>',
		);
		expect(root.first('PID', 'urn:bme')?.text).toBe('1');
		expect(root.first('c', 'urn:bme')?.text).toBe('2');
		expect(root.first('d', 'urn:x')?.text).toBe('3');
		expect(root.first('d', 'urn:bme')).toBeUndefined();
	});

	it('refuses a DOCTYPE so that no external entity is fetched and none is expanded', () => {
		const xxe = '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>';
		expect(() => parseXml(xxe, 'evil.xml')).toThrow(DocumentError);
		try {
			parseXml(xxe, 'evil.xml');
		} catch (e) {
			expect((e as DocumentError).code).toBe('ENTITY_NOT_ALLOWED');
			expect((e as DocumentError).message).toMatch(/^evil\.xml: line 2/);
		}
	});

	it('names the line and column of malformed XML', () => {
		expect(() => parseXml('<a>\n  <b>\n</a>', 'broken.xml')).toThrow(/broken\.xml: line 3, column \d+/);
	});
});

describe('parseXml and saxes', () => {
	it('gives saxes at most seven event handlers: with an eighth V8 keeps the parser object in slow mode (a camt.053 file 240 µs instead of 36 µs)', () => {
		const on = jest.spyOn(SaxesParser.prototype, 'on');
		try {
			parseXml('<a><!-- c --><?pi x?><b><![CDATA[t]]></b></a>');
			expect(on.mock.calls.length).toBeLessThanOrEqual(7);
		} finally {
			on.mockRestore();
		}
	});

	it('still reports a syntax error, CDATA, comments and processing instructions as before, without their own handlers', () => {
		expectDocumentError(() => parseXml('<a>\n<b></a>', 'bad.xml'), 'PARSE_ERROR', /^bad\.xml: line 2, column \d+: /);
		expect(parseXml('<a><![CDATA[x < y]]></a>').text).toBe('x < y');
		expectDocumentError(() => parseXml('<a>one<!-- c -->two</a>').text, 'PARSE_ERROR', /mixed|text/);
	});
});

describe('decodeXml', () => {
	it('follows the XML declaration for ISO-8859-1 and strips a UTF-8 BOM', () => {
		const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>Müller</a>', 'latin1');
		expect(decodeXml(latin1)).toContain('Müller');
		const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>Straße</a>')]);
		expect(decodeXml(bom)).toBe('<a>Straße</a>');
	});

	it('refuses bytes that are not valid in the declared charset, naming where', () => {
		const bad = Buffer.from('<a>\nM\xfcller</a>', 'latin1');
		expect(() => decodeText(bad, 'utf-8', 'x.csv')).toThrow(/x\.csv: line 2, column 2: the bytes are not valid utf-8/);
	});
});

describe('parseXml limits: nesting, size, time', () => {
	const nested = (levels: number) => '<r xmlns="urn:x">' + '<a>'.repeat(levels - 1) + '</a>'.repeat(levels - 1) + '</r>';

	it('reads elements nested up to MAX_XML_DEPTH levels and refuses the next level, naming file and place', () => {
		expect(parseXml(nested(MAX_XML_DEPTH)).name).toBe('r');
		const error = expectDocumentError(
			() => parseXml(nested(MAX_XML_DEPTH + 1), 'deep.xml'),
			'PARSE_ERROR',
			/^deep\.xml: line 1, column \d+: element <a> is nested more than 256 levels deep/,
		);
		expect(error.position.column).toBe(17 + 3 * MAX_XML_DEPTH);
	});

	it('refuses 100,000 levels at once, without reading on (generous bound: a second)', () => {
		const started = Date.now();
		expectDocumentError(() => parseXml(nested(100_000), 'deep.xml'), 'PARSE_ERROR', /nested more than 256 levels/);
		expect(Date.now() - started).toBeLessThan(1000);
	});

	it('resolves namespaces in time linear in the depth: 100,000 levels inherit the root namespace in seconds, not minutes', () => {
		// with the old resolver (a walk up the open elements per element) 40,000 levels took 27-35 s; 100,000 about 3 minutes
		const started = Date.now();
		let element = parseXml(nested(100_000), 'deep.xml', { maxDepth: 100_000 });
		while (element.children.length) element = element.children[0];
		expect([element.ns, element.name]).toEqual(['urn:x', 'a']);
		expect(Date.now() - started).toBeLessThan(20_000);
	}, 60_000);

	it('refuses text longer than its limit with TOO_LARGE before parsing it', () => {
		expectDocumentError(() => parseXml('<a>' + 'x'.repeat(100) + '</a>', 'big.xml', { maxLength: 50 }), 'TOO_LARGE', /^big\.xml: the file has 107 characters, more than the 50 characters a document may have; it was not read$/);
	});
});

describe('parseXmlDocument', () => {
	it('refuses a file above the limit with TOO_LARGE before decoding it (these bytes are not even valid UTF-8)', () => {
		const invalid = Buffer.alloc(2048, 0xff);
		expectDocumentError(() => parseXmlDocument(invalid, { file: 'big.xml', maxBytes: 1024 }), 'TOO_LARGE', /^big\.xml: the file has 2,048 bytes, more than the 1 KB \(1,024 bytes\)/);
		expectDocumentError(() => parseXmlDocument(invalid, { file: 'big.xml' }), 'ENCODING_ERROR', /not valid utf-8/);
	});

	it('refuses a file above MAX_DOCUMENT_BYTES (64 MiB) by default, at once', () => {
		const huge = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20);
		const started = Date.now();
		expectDocumentError(() => parseXmlDocument(huge, { file: 'huge.xml' }), 'TOO_LARGE', /^huge\.xml: the file has 67,108,865 bytes, more than the 64 MB \(67,108,864 bytes\)/);
		expect(Date.now() - started).toBeLessThan(1000);
	});

	it('decodes by the XML declaration and parses', () => {
		const root = parseXmlDocument(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>Müller</a>', 'latin1'), { file: 'a.xml' });
		expect(root.text).toBe('Müller');
	});
});

describe('parseXml values', () => {
	it('refuses XML 1.1 character references to control characters in text and attributes, naming the place', () => {
		// XML 1.1 (section 2.2) allows &#x1; … &#x1F; as references; no business value may hold one
		const text = '<?xml version="1.1"?>\n<a>\n<name>ACME&#x1B;[2J</name></a>';
		expectDocumentError(() => parseXml(text, 'v11.xml'), 'INVALID_VALUE', /^v11\.xml: line 3, column \d+, at name: control character U\+001B in a value/);
		const attribute = '<?xml version="1.1"?><a><b type="x&#x1;"/></a>';
		expectDocumentError(() => parseXml(attribute, 'v11.xml'), 'INVALID_VALUE', /at @type: control character U\+0001/);
	});

	it('refuses C1 control characters, which XML 1.0 lets through, the same way', () => {
		expectDocumentError(() => parseXml('<a>x&#x85;y</a>', 'c1.xml'), 'INVALID_VALUE', /^c1\.xml: line 1, column \d+, at a: control character U\+0085/);
		expectDocumentError(() => parseXml('<a>x\u009by</a>', 'c1.xml'), 'INVALID_VALUE', /control character U\+009B/);
	});

	it('keeps tabs and line breaks in values', () => {
		expect(parseXml('<a>x&#x9;y&#xA;z</a>').rawText).toBe('x\ty\nz');
	});

	it('refuses to read text on both sides of a child element or comment, so that two values are never glued together', () => {
		const root = parseXml('<a>\n <v>4711<!-- old -->0815</v>\n <w>4711<x/>0815</w>\n <ok>4711<!-- checked --></ok>\n</a>', 'mixed.xml');
		expect(() => root.first('v')!.text).toThrow(/^mixed\.xml: line 2, column \d+, at a\/v: v has text on both sides of a child element or comment/);
		expect(() => root.first('w')!.text).toThrow(/at a\/w: w has text on both sides/);
		expect(root.first('ok')!.text).toBe('4711');
	});

	it('reads text and CDATA next to each other as the one value XML says they are', () => {
		expect(parseXml('<d>2025-01-<![CDATA[02]]></d>').text).toBe('2025-01-02');
	});

	it('keeps no whitespace between child elements', () => {
		const root = parseXml('<a>\n\t<b> x </b>\n\t<c/>\n</a>');
		expect(root.rawText).toBe('');
		expect(root.first('b')!.rawText).toBe(' x ');
	});

	it('resolves prefixes by the nearest declaration and refuses an unbound prefix', () => {
		const root = parseXml('<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b><p:d/><e xmlns="urn:3"><f xmlns=""/></e></p:a>');
		expect(root.ns).toBe('urn:1');
		expect(root.first('b')!.first('c')!.ns).toBe('urn:2');
		expect(root.first('d')!.ns).toBe('urn:1');
		expect(root.first('e')!.ns).toBe('urn:3');
		expect(root.first('e')!.first('f')!.ns).toBe('');
		expectDocumentError(() => parseXml('<a><q:b/></a>', 'u.xml'), 'PARSE_ERROR', /^u\.xml: line 1, column \d+: unbound namespace prefix: "q"/);
		expectDocumentError(() => parseXml('<a q:x="1"/>', 'u.xml'), 'PARSE_ERROR', /unbound namespace prefix: "q"/);
		expectDocumentError(() => parseXml('<a xmlns:q=""/>', 'u.xml'), 'PARSE_ERROR', /the prefix q is bound to an empty namespace name/);
	});

	it('gives attributes by their local name, without the namespace declarations', () => {
		const root = parseXml('<a xmlns="urn:x" xmlns:t="urn:t" t:type="gln" id="7"/>');
		expect(root.attributes).toEqual({ type: 'gln', id: '7' });
	});
});
