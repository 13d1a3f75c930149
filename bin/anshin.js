#!/usr/bin/env node
// The operator CLI is TypeScript; tsx compiles it on the fly so there is no build step to forget.
import { register } from 'tsx/esm/api';

// The SDK's notice about Node versions before 22 would otherwise precede every command's output;
// the deployed functions run on Node 24 and never see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../cli/main.ts');
