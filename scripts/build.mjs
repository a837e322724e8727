// What `n8n-node build` does: clean dist, compile, copy icons (and __schema__ JSON) next to the compiled files;
// also the codex files (*.node.json) and ICC colour profiles (*.icc, for PDF/A invoices).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
	cwd: root,
	stdio: 'inherit',
});

let copied = 0;
const walk = (dir) => {
	for (const name of readdirSync(path.join(root, dir))) {
		const rel = path.join(dir, name);
		if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
		else if (/\.(svg|png|icc)$/.test(name) || rel.includes(`${path.sep}icc${path.sep}`) || (rel.includes('__schema__') && name.endsWith('.json')) || name.endsWith('.node.json')) {
			mkdirSync(path.join(root, 'dist', dir), { recursive: true });
			cpSync(path.join(root, rel), path.join(root, 'dist', rel));
			copied++;
		}
	}
};
for (const dir of ['nodes', 'credentials']) walk(dir);
console.log(`build: compiled and copied ${copied} asset file(s) into dist/`);
