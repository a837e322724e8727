/**
 * Every node's codex names the package's name, "Backoffice", as a search alias: n8n 2.41's node panel searches
 * `properties.codex.alias` beside the display name (read in the installed n8n-editor-ui's search keys).
 */
import { readdirSync, readFileSync } from 'fs';
import path from 'path';

const nodesDir = path.join(__dirname, '../../../nodes');
const codexFiles = readdirSync(nodesDir)
	.filter((dir) => dir !== 'shared')
	.flatMap((dir) =>
		readdirSync(path.join(nodesDir, dir))
			.filter((file) => file.endsWith('.node.json'))
			.map((file) => path.join(dir, file)),
	);

describe('node codex', () => {
	test('there is one codex file per node', () => {
		expect(codexFiles.length).toBeGreaterThanOrEqual(5);
	});

	test.each(codexFiles)('%s: "Backoffice" is a search alias', (file) => {
		const codex = JSON.parse(readFileSync(path.join(nodesDir, file), 'utf8')) as { alias?: string[] };
		expect(codex.alias).toContain('Backoffice');
	});
});
