/**
 * How fast is the address matching of the Order Exchange node with a large address book?
 *
 * Generates 100,000 plausible German addresses (private customers and craft businesses, real city names with
 * postcodes of their range) from a seeded PRNG, so every run sees the same book; indexes them once; then
 * matches 1,000 arriving order addresses: 40 % copied from the book, 40 % from the book but spelled otherwise
 * (Mueller for Müller, Str. for Straße, Meyer for Meier, a mistyped postcode …), 20 % not in the book.
 * Prints index time, match time, matches per second, peak RSS, and how the matches came out.
 *
 * Not a test. Run from the project root (the sources use extensionless imports, which Node's own type
 * stripping cannot resolve, so compile first):
 *
 *   source scripts/node24.sh
 *   npx tsc --outDir /tmp/bench-address-matching --rootDir . --module commonjs --target es2023 --strict \
 *     --esModuleInterop --skipLibCheck --types node bench/address-matching.ts
 *   node --expose-gc /tmp/bench-address-matching/bench/address-matching.js [addresses] [orders] [results.txt]
 *
 * With a third argument it writes every order's result (kind, then each candidate's id, kind and score) to that
 * file, one line per order, so that two versions of the index can be compared with `diff`.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { AddressIndex, type AddressBookEntry, type MatchableAddress } from '../nodes/shared/documents/addresses/addressIndex';

/** mulberry32: a small, fast, seeded 32-bit PRNG; enough for test data, not for anything secret. */
function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SURNAMES = (
	'Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf ' +
	'Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause Meier ' +
	'Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller ' +
	'Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke ' +
	'Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß ' +
	'Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann ' +
	'Thomas Voigt Sauer Arnold Wolff Pfeiffer Straub Strauß Brückner Nowak Yilmaz Kowalski Lindner Ebert Hesse'
).split(' ');

const FIRST_NAMES = (
	'Anna Maria Julia Laura Lena Sarah Katharina Sabine Petra Ursula Monika Andrea Claudia Jörg Jürgen Thomas ' +
	'Michael Andreas Stefan Peter Klaus Uwe Frank Markus Christian Tobias Lukas Jonas Felix Günter Horst Dieter'
).split(' ');

const TRADES = (
	'Bäckerei Metzgerei Elektro Sanitär Heizungsbau Malerbetrieb Schreinerei Zimmerei Dachdeckerei Autohaus ' +
	'Gartenbau Fliesenleger Steuerbüro Blumen Optik Friseursalon Kfz-Werkstatt Glaserei Bauunternehmung'
).split(' ');

const LEGAL_FORMS = ['GmbH', 'GmbH & Co. KG', 'e.K.', 'KG', 'OHG', 'GbR', 'UG (haftungsbeschränkt)', 'AG'];

const STREET_STEMS = (
	'Haupt Bahnhof Schul Garten Kirch Dorf Berg Wald Linden Birken Eichen Buchen Ahorn Rosen Tulpen Mühlen Wiesen ' +
	'Feld Bach Sonnen Park Ring Markt Schiller Goethe Lessing Mozart Beethoven Bismarck Friedrich Wilhelm Kaiser ' +
	'König Post Industrie Gewerbe Hafen Brunnen Burg Kloster Jahn Uhland Herder Kant Heine Eichendorff Mörike ' +
	'Fontane Hölderlin Rathaus Schloss Ost West Süd Nord Brücken Weiher Sand Stein Lerchen Amsel Drossel Falken'
).split(' ');

const STREET_KINDS = ['straße', 'straße', 'straße', 'weg', 'weg', 'allee', 'platz', 'ring', 'gasse', 'str.'];

/** [city, first postcode, how many postcodes the city has]: real places, postcode ranges roughly right. */
const CITIES: Array<[string, number, number]> = [
	['Berlin', 10115, 900], ['Hamburg', 20095, 500], ['München', 80331, 700], ['Köln', 50667, 300],
	['Frankfurt am Main', 60306, 300], ['Stuttgart', 70173, 300], ['Düsseldorf', 40210, 300], ['Leipzig', 4103, 250],
	['Dortmund', 44135, 250], ['Essen', 45127, 250], ['Bremen', 28195, 200], ['Dresden', 1067, 250],
	['Hannover', 30159, 300], ['Nürnberg', 90402, 250], ['Duisburg', 47051, 200], ['Bochum', 44787, 100],
	['Wuppertal', 42103, 200], ['Bielefeld', 33602, 150], ['Bonn', 53111, 120], ['Münster', 48143, 120],
	['Mannheim', 68159, 150], ['Karlsruhe', 76131, 100], ['Augsburg', 86150, 100], ['Wiesbaden', 65183, 100],
	['Mönchengladbach', 41061, 150], ['Gelsenkirchen', 45879, 100], ['Aachen', 52062, 100], ['Braunschweig', 38100, 100],
	['Kiel', 24103, 100], ['Chemnitz', 9111, 100], ['Halle (Saale)', 6108, 100], ['Magdeburg', 39104, 100],
	['Freiburg im Breisgau', 79098, 50], ['Krefeld', 47798, 100], ['Mainz', 55116, 20], ['Lübeck', 23552, 20],
	['Erfurt', 99084, 20], ['Oberhausen', 46045, 100], ['Rostock', 18055, 100], ['Kassel', 34117, 15],
	['Hagen', 58089, 50], ['Saarbrücken', 66111, 20], ['Potsdam', 14467, 15], ['Ludwigshafen', 67059, 15],
	['Oldenburg', 26121, 15], ['Osnabrück', 49074, 15], ['Heidelberg', 69115, 15], ['Darmstadt', 64283, 15],
	['Regensburg', 93047, 15], ['Würzburg', 97070, 15], ['Ulm', 89073, 10], ['Göttingen', 37073, 10],
	['Pforzheim', 75172, 10], ['Ingolstadt', 85049, 10], ['Reutlingen', 72760, 10], ['Bottrop', 46236, 10],
	['Trier', 54290, 10], ['Jena', 7743, 10], ['Siegen', 57072, 10], ['Gütersloh', 33330, 10],
];

function generateAddress(random: () => number): MatchableAddress {
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const surname = pick(SURNAMES);
	const r = random();
	const name =
		r < 0.55
			? `${pick(FIRST_NAMES)} ${surname}`
			: r < 0.85
				? `${pick(TRADES)} ${surname} ${pick(LEGAL_FORMS)}`
				: `${surname} ${pick(LEGAL_FORMS)}`;
	const kind = pick(STREET_KINDS);
	const houseNumber = String(1 + Math.floor(random() * 150)) + (random() < 0.1 ? pick(['a', 'b', 'c']) : '');
	const [city, firstZip, zips] = pick(CITIES);
	const zip = String(firstZip + Math.floor(random() * zips)).padStart(5, '0');
	return { name, street: `${pick(STREET_STEMS)}${kind} ${houseNumber}`, zip, city };
}

/** Spells an address the way another person would have typed it. */
function respell(a: MatchableAddress, random: () => number): MatchableAddress {
	const variants: Array<(x: MatchableAddress) => MatchableAddress> = [
		(x) => ({ ...x, name: x.name.replace(/ü/g, 'ue').replace(/ö/g, 'oe').replace(/ä/g, 'ae').replace(/ß/g, 'ss') }),
		(x) => ({ ...x, street: x.street.replace(/straße/, 'str.').replace(/str\. /, 'straße ') }),
		(x) => ({ ...x, name: x.name.replace(/ei/, 'ey').replace(/dt\b/, 'tt').replace(/ai/, 'ei') }),
		(x) => ({ ...x, zip: x.zip.slice(0, 3) + x.zip[4] + x.zip[3] }),
		(x) => ({ ...x, name: x.name.toUpperCase(), city: x.city.replace(/ü/g, 'ue').replace(/ö/g, 'oe') }),
		(x) => ({ ...x, name: x.name.replace(/ GmbH$| e\.K\.$| KG$/, '') }),
	];
	return variants[Math.floor(random() * variants.length)](a);
}

/** CPU time of this process since `start` (user + system), in ms: on a loaded machine steadier than wall time. */
function cpuMs(start: NodeJS.CpuUsage): number {
	const used = process.cpuUsage(start);
	return (used.user + used.system) / 1000;
}

function main(): void {
	const addressCount = Number(process.argv[2] ?? 100_000);
	const orderCount = Number(process.argv[3] ?? 1_000);

	const bookRandom = prng(20250314);
	const book: AddressBookEntry[] = [];
	for (let i = 0; i < addressCount; i++) book.push({ id: `K${10000 + i}`, ...generateAddress(bookRandom) });

	// with --expose-gc the heap figures are exact; without, they include garbage not yet collected
	const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
	collect();
	const heapBefore = process.memoryUsage().heapUsed;
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const index = new AddressIndex(book);
	const indexMs = performance.now() - t0;
	const indexCpuMs = cpuMs(cpu0);
	collect();
	const indexHeap = process.memoryUsage().heapUsed - heapBefore;

	const orderRandom = prng(4711);
	const orders: Array<{ address: MatchableAddress; from?: string; how: 'copied' | 'respelled' | 'new' }> = [];
	for (let i = 0; i < orderCount; i++) {
		const r = orderRandom();
		if (r < 0.4) {
			const e = book[Math.floor(orderRandom() * book.length)];
			orders.push({ address: e, from: e.id, how: 'copied' });
		} else if (r < 0.8) {
			const e = book[Math.floor(orderRandom() * book.length)];
			orders.push({ address: respell(e, orderRandom), from: e.id, how: 'respelled' });
		} else orders.push({ address: generateAddress(orderRandom), how: 'new' });
	}

	const resultsFile = process.argv[4];
	const lines: string[] = [];
	const outcome = { exact: 0, similar: 0, none: 0 };
	const found = { copied: 0, respelled: 0 };
	let pooled = 0;
	const cpu1 = process.cpuUsage();
	const t1 = performance.now();
	for (const order of orders) {
		const result = index.match(order.address);
		outcome[result.kind]++;
		if (resultsFile) lines.push(`${result.kind} ${result.candidates.map((c) => `${c.entry.id}:${c.kind}:${c.score}`).join(' ')}`);
		if (order.from && order.how !== 'new' && result.kind !== 'none' && result.candidates.some((c) => c.entry.id === order.from)) {
			found[order.how]++;
		}
	}
	const matchMs = performance.now() - t1;
	const matchCpuMs = cpuMs(cpu1);
	for (const order of orders.slice(0, 200)) pooled += index.poolSize(order.address);

	if (resultsFile) writeFileSync(resultsFile, lines.join('\n') + '\n');
	const count = (how: string) => orders.filter((o) => o.how === how).length;
	const mb = (kb: number) => (kb / 1024).toFixed(0);
	console.log(`addresses indexed:     ${addressCount.toLocaleString('en')}`);
	console.log(`index time:            ${indexMs.toFixed(0)} ms (CPU ${indexCpuMs.toFixed(0)} ms)`);
	console.log(`orders matched:        ${orderCount.toLocaleString('en')}`);
	console.log(`match time:            ${matchMs.toFixed(0)} ms (${(matchMs / orderCount).toFixed(3)} ms per order; CPU ${matchCpuMs.toFixed(0)} ms)`);
	console.log(`matches per second:    ${Math.round(orderCount / (matchMs / 1000)).toLocaleString('en')}`);
	console.log(`entries scored/lookup: ${(pooled / Math.min(200, orders.length)).toFixed(1)} on average (of ${addressCount.toLocaleString('en')})`);
	console.log(`peak RSS:              ${mb(process.resourceUsage().maxRSS)} MB (address book and index together)`);
	console.log(`heap held by index:    ${(indexHeap / 1024 / 1024).toFixed(0)} MB`);
	console.log(`outcome:               exact ${outcome.exact}, similar ${outcome.similar}, none ${outcome.none}`);
	console.log(
		`found the source entry: copied ${found.copied}/${count('copied')}, respelled ${found.respelled}/${count('respelled')}` +
			` (new addresses: ${count('new')})`,
	);
}

main();
