import { decodeTransferEncoding, documentParts } from '../../nodes/shared/transports/mailStructure';

describe('decodeTransferEncoding (servers without FETCH BINARY)', () => {
	it('decodes quoted-printable with soft line breaks, escaped bytes and CRLF line ends', () => {
		const raw = Buffer.from('<Name>M=C3=BCller =\r\nGmbH</Name>=0D=0A\r\n<Ort>K=F6ln</Ort>', 'latin1');
		const bytes = decodeTransferEncoding(raw, 'quoted-printable');
		expect(bytes.subarray(0, 30).toString('utf8')).toBe('<Name>Müller GmbH</Name>\r\n\r\n<');
		// a byte that is not UTF-8 stays the byte it was (ISO-8859-1 ö), for the XML declaration to decide
		expect(bytes.subarray(bytes.length - 10)).toEqual(Buffer.from('K\xf6ln</Ort>', 'latin1'));
	});

	it('decodes base64 across line breaks and leaves 7bit and binary parts as they are', () => {
		const text = 'Lieferschein LS-4711';
		const wrapped = Buffer.from(Buffer.from(text).toString('base64').replace(/(.{8})/g, '$1\r\n'));
		expect(decodeTransferEncoding(wrapped, 'base64').toString()).toBe(text);
		expect(decodeTransferEncoding(Buffer.from(text), '7bit').toString()).toBe(text);
		expect(decodeTransferEncoding(Buffer.from(text), undefined).toString()).toBe(text);
	});
});

describe('documentParts', () => {
	it('takes attachments and a lone document part, not the mail text nor a forwarded mail', () => {
		const parts = documentParts({
			type: 'multipart/mixed',
			childNodes: [
				{ part: '1', type: 'text/plain', size: 20, encoding: '7bit' },
				{ part: '2', type: 'application/xml', size: 400, encoding: 'base64', disposition: 'attachment', dispositionParameters: { filename: 'ls.xml' } },
				{ part: '3', type: 'message/rfc822', size: 900 },
			],
		} as never);
		expect(parts).toEqual([{ part: '2', contentType: 'application/xml', fileName: 'ls.xml', encoding: 'base64', encodedSize: 400, size: 300 }]);
	});
});
