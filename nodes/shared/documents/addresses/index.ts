/** Finding an arriving address in an address book by sound (Kölner Phonetik) and spelling (Jaro-Winkler). */
export {
	AddressIndex,
	CANDIDATE_FLOOR,
	NAME_THRESHOLD,
	SCORE_WEIGHTS,
	SIMILAR_THRESHOLD,
	type AddressBookEntry,
	type AddressCandidate,
	type AddressMatch,
	type AddressMatchKind,
	type MatchableAddress,
} from './addressIndex';
export { colognePhonetics, colognePhoneticsRaw } from './colognePhonetics';
export {
	foldUmlauts,
	houseNumberSimilarity,
	jaroWinkler,
	nameKey,
	nameSimilarity,
	nameTokens,
	normaliseCity,
	normaliseName,
	normaliseZip,
	parseStreet,
	type ParsedStreet,
} from './similarity';
