/**
 * Kölner Phonetik (Cologne phonetics, Hans Joachim Postel 1969): a code for how a German word sounds, so that
 * Müller, Mueller and Möller (657) or Meier, Mayer and Meyer (67) land on the same code.
 *
 * The published algorithm, in three steps:
 * 1. every letter gets a code from the table below, looking at its neighbours where the table says so;
 * 2. runs of the same code collapse into one;
 * 3. every "0" goes, except at the very beginning.
 *
 * | letter              | context                                                        | code |
 * |---------------------|----------------------------------------------------------------|------|
 * | A E I J O U Y       |                                                                | 0    |
 * | H                   |                                                                | –    |
 * | B                   |                                                                | 1    |
 * | P                   | not before H                                                   | 1    |
 * | D T                 | not before C S Z                                               | 2    |
 * | F V W               |                                                                | 3    |
 * | P                   | before H                                                       | 3    |
 * | G K Q               |                                                                | 4    |
 * | C                   | first letter, before A H K L O Q R U X                         | 4    |
 * | C                   | before A H K O Q U X, not after S Z                            | 4    |
 * | X                   | not after C K Q                                                | 48   |
 * | L                   |                                                                | 5    |
 * | M N                 |                                                                | 6    |
 * | R                   |                                                                | 7    |
 * | S Z                 |                                                                | 8    |
 * | C                   | after S Z; first letter not before A H K L O Q R U X;          | 8    |
 * |                     | elsewhere not before A H K O Q U X                             |      |
 * | D T                 | before C S Z                                                   | 8    |
 * | X                   | after C K Q                                                    | 8    |
 *
 * Umlauts are vowels (Ä Ö Ü → 0, as A O U), ß is an S (8); other accented letters lose their accent;
 * anything that is not a letter (blanks, hyphens, digits) is dropped before coding, as in the published
 * example "Müller-Lüdenscheidt" → 60550750206880022 → 65752682.
 */

const VOWELS = 'AEIOUJY';

/** Upper-case A–Z only: umlauts and accents folded, ß as S, everything else dropped. */
function letters(text: string): string {
	return text
		.replace(/ß/g, 'S')
		.replace(/ẞ/g, 'S')
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.toUpperCase()
		.replace(/[^A-Z]/g, '');
}

/** Step 1 alone: one code per letter, before collapsing and dropping zeros. */
export function colognePhoneticsRaw(text: string): string {
	const w = letters(text);
	let out = '';
	for (let i = 0; i < w.length; i++) {
		const c = w[i];
		const prev = i > 0 ? w[i - 1] : '';
		const next = i + 1 < w.length ? w[i + 1] : '';
		if (VOWELS.includes(c)) out += '0';
		else if (c === 'H') continue;
		else if (c === 'B') out += '1';
		else if (c === 'P') out += next === 'H' ? '3' : '1';
		else if (c === 'D' || c === 'T') out += 'CSZ'.includes(next) && next !== '' ? '8' : '2';
		else if (c === 'F' || c === 'V' || c === 'W') out += '3';
		else if (c === 'G' || c === 'K' || c === 'Q') out += '4';
		else if (c === 'C') out += cCode(i, prev, next);
		else if (c === 'X') out += prev !== '' && 'CKQ'.includes(prev) ? '8' : '48';
		else if (c === 'L') out += '5';
		else if (c === 'M' || c === 'N') out += '6';
		else if (c === 'R') out += '7';
		else if (c === 'S' || c === 'Z') out += '8';
	}
	return out;
}

function cCode(i: number, prev: string, next: string): string {
	if (i === 0) return next !== '' && 'AHKLOQRUX'.includes(next) ? '4' : '8';
	if (prev === 'S' || prev === 'Z') return '8';
	return next !== '' && 'AHKOQUX'.includes(next) ? '4' : '8';
}

/** The Kölner Phonetik code of a word or name ("Müller" → "657"); empty when the text has no letters. */
export function colognePhonetics(text: string): string {
	const raw = colognePhoneticsRaw(text);
	let collapsed = '';
	for (const digit of raw) if (digit !== collapsed[collapsed.length - 1]) collapsed += digit;
	return collapsed.length ? collapsed[0] + collapsed.slice(1).replace(/0/g, '') : '';
}
