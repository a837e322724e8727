// End to end: the Mail OAuth2 credential's "Connect my account" in the real n8n editor (headless Chromium),
// through the test authorization server's sign-in and consent page, to "Account connected"; then the token n8n
// stored is used for an IMAP login at the test Dovecot. Writes a screenshot of the connected credential to
// docs/images/oauth2-credential.png.
//
//   node scripts/oauth-connect-e2e.mjs
//
// Needs: the test servers running (scripts/test-servers.sh start, with the same BACKOFFICE_SERVERS_DIR and
// N8N_PORT: the authorization server accepts n8n's callback on that port), `npm run build`, the n8n server
// (bash scripts/n8n-server.sh install), /usr/bin/chromium. Ports: N8N_PORT (default 5678) and N8N_PORT + 1.
// n8n runs with N8N_HOST=127.0.0.1, so that its OAuth callback and the editor share one origin.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(ROOT, 'scripts/n8n-server.sh');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SERVERS = JSON.parse(readFileSync(path.join(process.env.BACKOFFICE_SERVERS_DIR ?? '/tmp/bo-srv', 'env.json'), 'utf8'));
const PORT = Number(process.env.N8N_PORT ?? 5678);
const BASE = `http://127.0.0.1:${PORT}`;
const OWNER = { email: 'owner@backoffice.test', firstName: 'E2e', lastName: 'Owner', password: 'Oauth2-Connect-1' };
const CREDENTIAL_ID = 'mailoauth2e2e01';
const SHOT = path.join(ROOT, 'docs/images/oauth2-credential.png');

const t0 = Date.now();
const log = (...args) => console.log(`[oauth-connect ${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...args);
const script = (args, env = {}) =>
	execFileSync('bash', [SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

function credentialFile(dir) {
	const { oauth, host, imap, smtp, users } = SERVERS;
	const data = {
		provider: 'other',
		user: users.alice.user,
		customAuthUrl: `${oauth.issuer}/auth`,
		customAccessTokenUrl: `${oauth.issuer}/token`,
		customScope: `openid offline_access ${oauth.scope}`,
		customAuthentication: 'header',
		imapHost: host,
		imapPort: imap.tlsPort,
		imapSecurity: 'tls',
		smtpHost: host,
		smtpPort: smtp.submissionPort,
		smtpSecurity: 'starttls',
		allowSelfSigned: true,
		clientId: oauth.client.id,
		clientSecret: oauth.client.secret,
	};
	const file = path.join(dir, 'oauth2-credential.json');
	writeFileSync(file, JSON.stringify([{ id: CREDENTIAL_ID, name: 'Lieferscheine (OAuth2)', type: 'backofficeMailOAuth2Api', data }]));
	return file;
}

async function connect(browser) {
	const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
	const page = await context.newPage();
	page.setDefaultTimeout(180_000);
	await page.goto(`${BASE}/signin`, { waitUntil: 'domcontentloaded', timeout: 180_000 });
	await page.waitForSelector('input[name="emailOrLdapLoginId"]');
	await page.fill('input[name="emailOrLdapLoginId"]', OWNER.email);
	await page.fill('input[name="password"]', OWNER.password);
	await page.click('[data-test-id="form-submit-button"]');
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
	log('signed in to n8n');
	await page.goto(`${BASE}/home/credentials/${CREDENTIAL_ID}`, { waitUntil: 'domcontentloaded' });
	const banner = page.locator('[data-test-id="oauth-not-connected-banner"]');
	await banner.waitFor();
	const [popup] = await Promise.all([page.waitForEvent('popup'), banner.locator('button').first().click()]);
	await popup.waitForSelector('#login');
	log(`authorization server's sign-in page: ${popup.url().split('?')[0]}`);
	await popup.fill('#login', SERVERS.users.alice.user);
	await popup.fill('#password', SERVERS.users.alice.password);
	await popup.click('#allow');
	await page.locator('[data-test-id="oauth-connect-success-banner"]').waitFor();
	const text = await page.locator('[data-test-id="oauth-connect-success-banner"]').innerText();
	if (!/Account connected/i.test(text)) throw new Error(`the editor shows "${text}" instead of "Account connected"`);
	log(`editor: "${text.trim().split('\n')[0]}"`);
	mkdirSync(path.dirname(SHOT), { recursive: true });
	await page.screenshot({ path: SHOT });
	log(`screenshot ${path.relative(ROOT, SHOT)}`);
	await context.close();
}

/** The token n8n stored (CLI export, decrypted) signs in at the test Dovecot. */
async function loginWithStoredToken(userDir) {
	const out = path.join(userDir, 'export.json');
	script(['cli', userDir, 'export:credentials', `--id=${CREDENTIAL_ID}`, '--decrypted', `--output=${out}`], { N8N_PORT: String(PORT) });
	const [credential] = JSON.parse(readFileSync(out, 'utf8'));
	rmSync(out);
	const token = credential.data?.oauthTokenData?.access_token;
	if (!token) throw new Error('n8n stored no access token for the credential');
	const { ImapFlow } = createRequire(import.meta.url)(path.join(ROOT, 'node_modules/imapflow'));
	const client = new ImapFlow({
		host: SERVERS.host,
		port: SERVERS.imap.tlsPort,
		secure: true,
		tls: { ca: readFileSync(SERVERS.ca) },
		auth: { user: SERVERS.users.alice.user, accessToken: token },
		logger: false,
	});
	await client.connect();
	const folders = await client.list();
	await client.logout();
	log(`IMAP login with the token n8n stored: ok (${folders.length} folders; granted scope "${credential.data.oauthTokenData.scope}")`);
}

async function main() {
	if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing`);
	if (!existsSync(path.join(ROOT, 'dist/credentials/BackofficeMailOAuth2Api.credentials.js'))) throw new Error('run "npm run build" first');
	const { chromium } = await import('playwright-core');
	const userDir = mkdtempSync(path.join(os.tmpdir(), 'n8n-oauth2-'));
	const env = { N8N_PORT: String(PORT), N8N_RUNNERS_BROKER_PORT: String(PORT + 1), N8N_HOST: '127.0.0.1' };
	let started = false;
	let browser;
	try {
		script(['user-folder', userDir]);
		script(['cli', userDir, 'import:credentials', `--input=${credentialFile(userDir)}`], env);
		started = true;
		script(['start-bg', userDir], env);
		log(`n8n on ${BASE}`);
		const setup = await fetch(`${BASE}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
		if (!setup.ok) throw new Error(`owner setup: HTTP ${setup.status} ${await setup.text()}`);
		browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
		await connect(browser);
		await loginWithStoredToken(userDir);
		log('passed');
	} finally {
		await browser?.close();
		if (started) {
			try {
				script(['stop', userDir], env);
			} catch (error) {
				console.error(error.message);
			}
		}
		if (process.env.KEEP_USER_FOLDER === '1') log(`user folder kept: ${userDir}`);
		else rmSync(userDir, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(`[oauth-connect] failed: ${error.stack ?? error.message}`);
	process.exit(1);
});
