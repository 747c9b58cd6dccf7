// First command of `npm start` and `npm test`, run by whichever `node` npm scripts find first on
// PATH: normally node_modules/.bin/node (Node.js 24 from this folder's optionalDependencies), else
// the machine's own. The services run TypeScript through Node's type stripping (22.18 and newer),
// so an older Node.js would fail later with ERR_UNKNOWN_FILE_EXTENSION or a syntax error; this
// says in one line what to install instead. Plain ES2015, so that any Node.js still met can parse it.
"use strict";

const [major, minor] = process.versions.node.split(".").map(Number);

if (major < 22 || (major === 22 && minor < 18)) {
  const platform = `${process.platform}-${process.arch}`;
  process.stderr.write(
    `infinity-pool: Node.js ${process.version} is too old and npm installed no newer one for ${platform}: install Node.js 24 LTS (https://nodejs.org), then run npm ci again\n`,
  );
  process.exit(1);
}
