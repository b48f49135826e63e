#!/usr/bin/env node
// The `sigsum-log` command. A committed file (not dist/) so that `npm ci` in the
// repository links the bin before the `prepare` script has built dist/.
import '../dist/cli/main.js';
