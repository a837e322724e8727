/**
 * The package inside the real n8n server (2.41.3, from scripts/n8n-server/): the built package is packed
 * with `npm pack`, installed into a fresh user folder the way n8n installs a community package
 * (scripts/n8n-server.sh user-folder), and n8n is started on a free port. Then, through the HTTP API the
 * editor uses, with the owner's session cookie:
 *   - the three credential types and every node in package.json's "n8n.nodes" are listed
 *     (/types/credentials.json, /types/nodes.json) as parts of this community package, with their icons;
 *   - each credential type can be saved and its connection test ("Test" in the credential dialog) runs the
 *     package's test function against the real test servers: OK with the right password, Error with a wrong one.
 * Installs nothing: run `bash scripts/n8n-server.sh install` and `npm run build` first (`npm test` does both).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { ftpCredentialsFor, imapCredentialsFor, n8nCredentialData, smtpCredentialsFor } from '../helpers/servers';
import { N8nInstance, PKG, ROOT, START_TIMEOUT_S } from './n8nInstance';

/** The package's credential types: their names are stored with every saved credential, so they must not change. */
const CREDENTIAL_TYPES = ['backofficeImapApi', 'backofficeSmtpApi', 'backofficeMailOAuth2Api', 'backofficeFtpApi'];

type TypeEntry = { name: string; iconUrl?: string | { light: string; dark: string }; communityNodePackageVersion?: string };

/** The `name`s of the classes a compiled file exports (credential types), or of their descriptions (nodes). */
function exportedNames(file: string, pick: (instance: Record<string, unknown>) => unknown): string[] {
	const mod = require(path.join(ROOT, file)) as Record<string, unknown>;
	return Object.values(mod)
		.filter((v): v is new () => Record<string, unknown> => typeof v === 'function')
		.map((C) => pick(new C()))
		.filter((n): n is string => typeof n === 'string');
}

let n8n: N8nInstance | undefined;
let userDir = '';
let baseUrl = '';
let credentialTypes: TypeEntry[] = [];
let nodeTypes: TypeEntry[] = [];

async function api<T>(method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<T> {
	if (!n8n) throw new Error('n8n did not start');
	return await n8n.api<T>(method, urlPath, body);
}

beforeAll(async () => {
	n8n = await N8nInstance.start();
	userDir = n8n.userDir;
	baseUrl = n8n.baseUrl;

	// The type files the editor loads; they need a signed-in user.
	credentialTypes = await api<TypeEntry[]>('GET', '/types/credentials.json');
	nodeTypes = await api<TypeEntry[]>('GET', '/types/nodes.json');
}, (START_TIMEOUT_S + 180) * 1000);

afterAll(() => {
	n8n?.stop();
}, 60_000);

describe('the package in the real n8n server', () => {
	test('is installed like a community package, using n8n\'s own n8n-workflow', () => {
		const dir = path.join(userDir, '.n8n/nodes/node_modules', PKG.name);
		const installed = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
		expect(installed.version).toBe(PKG.version);
		expect(existsSync(path.join(dir, 'node_modules/n8n-workflow'))).toBe(false);
		expect(existsSync(path.join(userDir, '.n8n/nodes/node_modules/n8n-workflow'))).toBe(false);
		const log = readFileSync(path.join(userDir, 'n8n.log'), 'utf8');
		expect(log.split('\n').filter((l) => l.includes(PKG.name) && /error|fail|skipping/i.test(l))).toEqual([]);
	});

	test('lists the three credential types', () => {
		const declared = PKG.n8n.credentials.flatMap((f) => exportedNames(f, (c) => c.name));
		expect([...declared].sort()).toEqual([...CREDENTIAL_TYPES].sort());
		const listed = credentialTypes.map((c) => c.name);
		for (const name of CREDENTIAL_TYPES) expect(listed).toContain(name);
	});

	test('lists every node of package.json as a node of this community package', () => {
		const expected = PKG.n8n.nodes.flatMap((f) =>
			exportedNames(f, (n) => (n.description as { name?: string } | undefined)?.name).map((n) => `${PKG.name}.${n}`),
		);
		expect(expected.length).toBe(PKG.n8n.nodes.length);
		const listed = new Map(nodeTypes.map((n) => [n.name, n]));
		for (const name of expected) {
			expect(listed.has(name)).toBe(true);
			expect(listed.get(name)?.communityNodePackageVersion).toBe(PKG.version);
		}
	});

	test('serves the icons of its nodes and credential types', async () => {
		const ours = [...credentialTypes, ...nodeTypes].filter(
			(t) => CREDENTIAL_TYPES.includes(t.name) || t.name.startsWith(`${PKG.name}.`),
		);
		const urls = new Set(
			ours.flatMap((t) => (typeof t.iconUrl === 'string' ? [t.iconUrl] : t.iconUrl ? [t.iconUrl.light, t.iconUrl.dark] : [])),
		);
		expect(urls.size).toBeGreaterThan(0);
		for (const url of urls) {
			const res = await fetch(`${baseUrl}/${url}`);
			expect([url, res.status, res.headers.get('content-type')]).toEqual([url, 200, expect.stringMatching(/^image\//)]);
		}
	});

	describe.each([
		['backofficeImapApi', () => n8nCredentialData(imapCredentialsFor('alice', { security: 'tls' }))],
		['backofficeSmtpApi', () => n8nCredentialData(smtpCredentialsFor('alice', { security: 'starttls' }))],
		['backofficeFtpApi', () => n8nCredentialData(ftpCredentialsFor({ protocol: 'ftpsExplicit' }))],
	])('%s', (type, credentialData) => {
		let id = '';
		let data: Record<string, unknown> = {};
		const check = async (d: Record<string, unknown>) => {
			const result = (await api<{ data: { status: string; message: string } }>('POST', '/rest/credentials/test', {
				credentials: { id, name: `${type} e2e`, type, data: d },
			})).data;
			// n8n runs the test function named by `testedBy` in the credentials entry of a node it loaded
			if (/No testing function/i.test(result.message)) {
				throw new Error(
					`n8n found no loaded node whose credentials entry for ${type} has "testedBy" (is the node listed in package.json "n8n.nodes"?): the Test button of this credential fails in the editor. n8n said: ${result.message}`,
				);
			}
			return result;
		};

		beforeAll(async () => {
			data = credentialData();
			id = (await api<{ data: { id: string } }>('POST', '/rest/credentials', { name: `${type} e2e`, type, data })).data.id;
		});

		test('can be saved, and its connection test passes against the real server', async () => {
			expect(id).not.toBe('');
			const result = await check(data);
			expect(result).toEqual({ status: 'OK', message: expect.any(String) });
		});

		test('its connection test reports a wrong password', async () => {
			const result = await check({ ...data, password: 'Wr0ng-P4ss!word' });
			expect(result.status).toBe('Error');
			expect(result.message).not.toContain('Wr0ng-P4ss!word');
		});
	});
});
