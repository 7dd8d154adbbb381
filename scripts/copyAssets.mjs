// Copies what the compiled service reads next to its modules (SQL migrations, the institution
// table, HTML pages) from src/ into dist/, keeping the folders.
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// The pages' browser modules under src/web/client are bundled at start (the image ships src/web).
const ASSET = /\.(sql|tsv|html|css|svg|json)$/;

function copy(from, to) {
  for (const name of readdirSync(from)) {
    const source = path.join(from, name);
    if (statSync(source).isDirectory()) copy(source, path.join(to, name));
    else if (ASSET.test(source)) cpSync(source, path.join(to, name));
  }
}

// A folder other than dist/ may be named (the production-build test builds into its own).
copy('src', process.argv[2] ?? 'dist');
