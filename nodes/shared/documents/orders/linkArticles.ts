import type { BusinessDocument } from './types';

/**
 * Links the lines of an arriving document to the receiving site's article master, as OfficeSI's order import
 * does: an article is recognised by its number; when the target does not know the number, only the link is
 * dropped (`articleLinked: false`) and the line stays as it is, text, price and number included.
 *
 * Returns a copy; the document itself is not changed.
 */
export function linkArticles(
	doc: BusinessDocument,
	isKnownArticle: (articleNumber: string) => boolean,
): BusinessDocument {
	return {
		...doc,
		lines: doc.lines.map((line) => ({
			...line,
			articleLinked: line.articleNumber ? isKnownArticle(line.articleNumber) : false,
		})),
	};
}
