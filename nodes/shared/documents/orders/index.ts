/** openTRANS orders and quotes exchanged between the sites of one company. */
export type {
	Address,
	BusinessDocument,
	BusinessDocumentType,
	DocumentTotals,
	OrderLine,
	TransferableDocumentType,
} from './types';
export { writeOpenTrans, type WriteOpenTransOptions } from './openTransWriter';
export { readOpenTrans, readOpenTransElement } from './openTransReader';
export { contentHash, documentKey } from './contentHash';
export { linkArticles } from './linkArticles';
