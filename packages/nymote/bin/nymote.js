#!/usr/bin/env node
// The `nymote` executable. It lives outside dist/ so that npm can link it when installing, before
// the `prepare` script has built dist/ (npm links no bin whose file does not exist yet).
import '../dist/src/main.js';
