/**
 * Unit tests (test/unit) need nothing; integration tests (test/integration) talk to the real servers that
 * test/helpers/globalSetup.ts starts; e2e tests (test/e2e) start the real n8n server.
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
	setupFiles: ['<rootDir>/test/helpers/setupEnv.ts'],
	globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
	globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
	testTimeout: 120000,
	// one file at a time: integration tests share the servers, and one of them restarts Dovecot
	maxWorkers: 1,
	// a test that times out may leave a socket or timer behind; CI must end anyway (the failure is reported)
	forceExit: true,
};
