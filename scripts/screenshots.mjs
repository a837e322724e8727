// Pictures of the package in the real n8n editor, taken by the editor test (test/e2e/editor.test.ts) in
// headless Chromium: the templates' canvases and node panels (workflows-templates/images/), the node search,
// runs from the editor and the Mail OAuth2 credential's Connect flow (docs/images/). docs/editor-test.md lists
// the files.
//
//   source scripts/node24.sh
//   npm run build && bash scripts/n8n-server.sh install && bash scripts/system-packages.sh
//   node scripts/screenshots.mjs
//
// It runs the editor test with BACKOFFICE_SCREENSHOTS=1 (without it, as in `npm test`, the test writes no
// file); jest's globalSetup starts the test servers unless they run. Arguments go to jest.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = spawnSync('npx', ['jest', 'test/e2e/editor.test.ts', ...process.argv.slice(2)], {
	cwd: ROOT,
	stdio: 'inherit',
	env: { ...process.env, BACKOFFICE_SCREENSHOTS: '1' },
});
process.exit(run.status ?? 1);
