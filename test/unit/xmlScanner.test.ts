import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { SaxesParser } from 'saxes';

import { decodeXml } from '../../nodes/shared/documents/text';
import { parseXml, type XmlElement } from '../../nodes/shared/documents/xml';
import { NotFast, XmlScanner } from '../../nodes/shared/documents/xmlScanner';

/**
 * The fast XML reader against saxes, the reference: on every XML file of the fixtures and on thousands of
 * damaged copies, whatever the fast reader takes, saxes takes too, with the same events at the same line and
 * column; what it does not take goes to saxes (parseXml), so a damaged file is refused as before.
 */

type XmlEvent = Array<string | number | Record<string, string>>;

/** The fast reader's events, or 'not taken'. */
function fastEvents(text: string): XmlEvent[] | 'not taken' {
	const events: XmlEvent[] = [];
	try {
		const scanner = new XmlScanner(text);
		scanner.read({
			open: (name, attributes) => events.push(['open', name, { ...attributes }, scanner.line, scanner.column]),
			text: (t) => events.push(['text', t, scanner.line, scanner.column]),
			interrupt: () => events.push(['interrupt']),
			close: () => events.push(['close']),
		});
	} catch (error) {
		if (error instanceof NotFast) return 'not taken';
		throw error;
	}
	return events;
}

/** saxes' events inside the root element (as the tree builder sees them), or 'refused'. */
function saxesEvents(text: string): XmlEvent[] | 'refused' {
	const events: XmlEvent[] = [];
	const p = new SaxesParser({ xmlns: false, position: true });
	let depth = 0;
	let doctype = false;
	p.on('doctype', () => (doctype = true));
	p.on('opentag', (tag) => {
		depth++;
		events.push(['open', tag.name, { ...tag.attributes }, p.line, p.column]);
	});
	p.on('text', (t) => depth && events.push(['text', t, p.line, p.column]));
	p.on('cdata', (t) => events.push(['text', t, p.line, p.column]));
	p.on('comment', () => depth && events.push(['interrupt']));
	p.on('processinginstruction', () => depth && events.push(['interrupt']));
	p.on('closetag', () => {
		depth--;
		events.push(['close']);
	});
	try {
		p.write(text).close();
	} catch {
		return 'refused';
	}
	return doctype ? 'refused' : events;
}

/** Line and column of every element of a tree, in document order. */
function placesOf(root: XmlElement): number[][] {
	const places: number[][] = [];
	const walk = (e: XmlElement) => {
		places.push([e.line, e.column]);
		e.children.forEach(walk);
	};
	walk(root);
	return places;
}

function xmlFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return xmlFiles(path);
		return name.endsWith('.xml') ? [path] : [];
	});
}

/** A small pseudo-random generator with a fixed seed: the same damaged copies in every run. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1103515245 + 12345) % 2147483648;
		return state / 2147483648;
	};
}

const PIECES = [
	'<', '>', '&', ';', '"', "'", '=', '/', ':', ' ', '\t', '\r', '\r\n', '\n', ']]>', '--', '-', '<!--', '-->', '<![CDATA[', '?>',
	'&amp;', '&lt;', '&#0;', '&#x1F600;', '&#xD800;', '&#65;', '&foo;', '&constructor;', '\u0000', '\u001b', '\uD800', '😀', 'é', '\uFEFF',
	'</a>', '<a>', '<a/>', '<?pi x?>', '<?xml version="1.0"?>', '<!DOCTYPE a>', ' x="1"', ' x="1" x="2"', " y='&apos;'", '·', '\u0300',
];

const BASE = [
	'<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- a comment -->\r\n<q:Doc xmlns:q="urn:x" xmlns="urn:d" a="1">\r\n  <Item n="&lt;1&gt;" m=\'x\ty\'>Text &amp; more &#xE9;</Item>\r\n  <Note><![CDATA[<b>raw</b> ]] >]]></Note>\r\n  <?pi some data?>\r\n  <Empty/><Emoji>😀 x 😀</Emoji>\r\n  <Grüße größe="ü">straße</Grüße>\r\n</q:Doc>\r\n',
	'<Document><BkToCstmrStmt><Stmt><Id>1</Id><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry><Ntry><Amt Ccy="EUR">2.00</Amt></Ntry></Stmt></BkToCstmrStmt></Document>',
	'<a>\n<b>one</b>\r<c x="a\nb">two<!--c-->three</c>\n<d>&#x10000;&#65;&quot;&apos;</d></a>\n\n',
];

describe('the fast XML reader', () => {
	const files = xmlFiles(join(__dirname, '..', 'fixtures'));

	it(`reads every XML file of the fixtures (${files.length}) as saxes does, event by event, at the same line and column`, () => {
		let taken = 0;
		for (const file of files) {
			const text = decodeXml(readFileSync(file));
			const fast = fastEvents(text);
			const reference = saxesEvents(text);
			if (fast === 'not taken') continue;
			taken++;
			expect({ file, events: fast }).toEqual({ file, events: reference });
			// each element's place, computed only when asked for, is where saxes opened it
			const opened = (reference as XmlEvent[]).filter((e) => e[0] === 'open').map((e) => [e[3], e[4]]);
			expect({ file, places: placesOf(parseXml(text)) }).toEqual({ file, places: opened });
		}
		// all but the two with a DOCTYPE (billion laughs, XXE), which saxes refuses
		expect(taken).toBe(files.length - 2);
	});

	it('takes no damaged copy saxes refuses, and reads each one it takes exactly as saxes does (6,000 copies)', () => {
		const next = random(20261207);
		let taken = 0;
		let refusedByBoth = 0;
		for (let n = 0; n < 6000; n++) {
			let text = BASE[n % BASE.length];
			for (let k = 1 + Math.floor(next() * 2); k > 0; k--) {
				const at = Math.floor(next() * (text.length + 1));
				const r = next();
				if (r < 0.3) text = text.slice(0, at) + text.slice(at + 1);
				else if (r < 0.4) text = text.slice(0, at) + text.slice(at, at + 1) + text.slice(at);
				else text = text.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + text.slice(at);
			}
			const fast = fastEvents(text);
			const reference = saxesEvents(text);
			if (fast === 'not taken') {
				if (reference === 'refused') refusedByBoth++;
				else if (process.env.SHOW) console.log(JSON.stringify(text));
				continue;
			}
			taken++;
			expect({ text, events: fast }).toEqual({ text, events: reference });
		}
		// the test means something only if both kinds are many
		expect(taken).toBeGreaterThan(1000);
		expect(refusedByBoth).toBeGreaterThan(1500);
	});

	it('reads in time linear in the size: 250,000 short elements, CR LF, one reference and one CDATA at the very end, a tag with 20,000 attributes', () => {
		const attributes = Array.from({ length: 20_000 }, (_, i) => ` a${i}="${i}"`).join('');
		const text = `<Doc${attributes}>\r\n${'<v>x</v>\r\n'.repeat(250_000)}<w>&amp;<![CDATA[]]></w></Doc>`;
		const started = Date.now();
		const events = fastEvents(text);
		// a search from each element to the end of the text would take hours here, not seconds
		expect(Date.now() - started).toBeLessThan(20_000);
		expect(events).not.toBe('not taken');
		expect((events as XmlEvent[]).at(-4)).toEqual(['text', '&', 250_002, 9]);
		// the same events as saxes (compared as JSON: jest's deep equality takes long over 750,000 events)
		expect(JSON.stringify(events) === JSON.stringify(saxesEvents(text))).toBe(true);
	});

	it('leaves to saxes what it does not take, and parseXml reads it all the same', () => {
		const v11 = '<?xml version="1.1"?><a>x</a>';
		expect(fastEvents(v11)).toBe('not taken');
		expect(parseXml(v11).text).toBe('x');
		expect(() => parseXml('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 'dtd.xml')).toThrow(/dtd\.xml: line 1, column \d+: the document has a DOCTYPE/);
		// a control character XML allows is refused in a value (xml.test.ts), read in a comment
		for (const c1 of ['<a>\u0085</a>', '<a b="\u007f"/>', '<a>&#x85;</a>', '<a><!-- \u0085 -->x</a>']) expect(fastEvents(c1)).toBe('not taken');
		expect(parseXml('<a><!-- \u0085 -->x</a>').text).toBe('x');
	});

	it('reads a name the process has seen before, and one too long to keep, in a second document as in the first', () => {
		const long = `N${'x'.repeat(5000)}`;
		const first = parseXml(`<Doc><Item/><${long} a="1"/></Doc>`);
		const second = parseXml(`<Doc><Item/><${long} a="2"/></Doc>`);
		expect(first.children.map((c) => c.name)).toEqual(['Item', long]);
		expect(second.children.map((c) => c.name)).toEqual(['Item', long]);
		expect(second.children[1].attributes).toEqual({ a: '2' });
	});

	it('names the place of an error as saxes does, after elements were streamed too', () => {
		const handled: string[] = [];
		const error = (() => {
			try {
				parseXml('<Doc><Ntry>1</Ntry><Ntry>2</Ntry>\n<Ntry>3</Ntry>\n<Ntry>4<</Ntry></Doc>', 'bad.xml', {
					stream: { name: 'Ntry', accept: () => true, handle: (e) => handled.push(e.text) },
				});
			} catch (e) {
				return e as Error;
			}
			return undefined;
		})();
		expect(error?.message).toMatch(/^bad\.xml: line 3, column 9: /);
		// handed over before the error, once each (none of them a second time by saxes)
		expect(handled).toEqual(['1', '2', '3']);
	});
});
