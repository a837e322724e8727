import * as addresses from '../../../nodes/shared/documents/addresses';
import * as payments from '../../../nodes/shared/documents/payments';

describe('one name matcher for addresses and payments', () => {
	it('is the same function in both places', () => {
		expect(payments.normaliseName).toBe(addresses.normaliseName);
		expect(payments.nameSimilarity).toBe(addresses.nameSimilarity);
	});

	it('drops German and international legal forms, umlauts spelt out, word order ignored', () => {
		expect(payments.normaliseName('Müller & Söhne GmbH & Co. KG')).toBe('mueller soehne');
		expect(payments.nameSimilarity('Acme Trading Ltd', 'ACME TRADING LIMITED')).toBe(1);
		expect(payments.nameSimilarity('Janssen Metaal BV', 'Janssen Metaal')).toBe(1);
		expect(payments.nameSimilarity('Schmidt, Hans', 'Hans Schmidt e.K.')).toBe(1);
		expect(payments.nameSimilarity('Meier Bau GmbH', 'Schulze Transporte AG')).toBeLessThan(0.7);
	});
});
