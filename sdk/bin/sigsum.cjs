#!/usr/bin/env node
// The `sigsum` command: the bundled CLI's launcher (dist/bin/sigsum.cjs). A
// committed file, not dist/, so that `npm ci` in the repository links the bin
// before the root `prepare` script has built dist/. CommonJS, as the bundle:
// Node's ES module loader would add its own start-up cost.
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS launcher
require('../dist/bin/sigsum.cjs');
