import { DocumentError } from '../../nodes/shared/documents/DocumentError';
import { decodeXml, decodeText } from '../../nodes/shared/documents/text';
import { parseXml } from '../../nodes/shared/documents/xml';

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
