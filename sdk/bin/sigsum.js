#!/usr/bin/env node
// The `sigsum` command: the bundled CLI (dist/bin/sigsum.mjs). A committed file,
// not dist/, so that `npm ci` in the repository links the bin before the root
// `prepare` script has built dist/.
import '../dist/bin/sigsum.mjs';
