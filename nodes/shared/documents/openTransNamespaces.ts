/** The namespaces of openTRANS 2.1 documents and of the BMEcat 2005 elements inside them. */
export const OPENTRANS_NS = 'http://www.opentrans.org/XMLSchema/2.1';
export const BMECAT_NS = 'http://www.bmecat.org/bmecat/2005';
